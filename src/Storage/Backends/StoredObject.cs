namespace Archiver.Storage.Backends;

/// <summary>One entry of a listing: enough to plan reads without opening the object.</summary>
public sealed record StoredObject(string Key, long Size, DateTimeOffset LastModified);
