namespace Archiver.Storage.Oplog;

/// <summary>A published chunk: where it is and what range it holds.</summary>
public sealed record ChunkDescriptor(string Key, string Component, uint Timeline, ChunkRange Range);
