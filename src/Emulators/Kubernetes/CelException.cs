namespace Archiver.Emulators.Kubernetes;

/// <summary>A CEL rule that could not be evaluated (a missing key, a type without the operator): CEL's runtime error.</summary>
internal sealed class CelException(string message) : Exception(message);
