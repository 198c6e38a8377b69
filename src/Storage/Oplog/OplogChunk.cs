namespace Archiver.Storage.Oplog;

/// <summary>
/// A chunk read back and verified: its header and its entries in <c>ts</c> order. The entries are an array
/// segment rather than a list interface so a replay walks them without an enumerator call per entry.
/// </summary>
public sealed record OplogChunk(string Key, ChunkHeader Header, ArraySegment<OplogEntry> Entries);
