namespace Archiver.Storage.Backends;

/// <summary>An object's response body and what owns it (an SDK's response, an HTTP response), disposed together.</summary>
internal sealed record ObjectBody(Stream Stream, IDisposable Owner);
