namespace Archiver.Emulators.Kubernetes;

/// <summary>A webhook's address that could not be dialled, worded as Go's net package words it (<c>dial tcp …</c>).</summary>
internal sealed class DialFailed(string message) : IOException(message);
