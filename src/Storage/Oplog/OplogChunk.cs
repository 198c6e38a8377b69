namespace Archiver.Storage.Oplog;

/// <summary>A chunk read back and verified: its header and its entries in <c>ts</c> order.</summary>
public sealed record OplogChunk(string Key, ChunkHeader Header, IReadOnlyList<OplogEntry> Entries);
