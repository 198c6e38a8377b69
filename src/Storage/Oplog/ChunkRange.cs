namespace Archiver.Storage.Oplog;

/// <summary>
/// What the catalog knows about one chunk, all of it readable from the chunk's name. <see cref="Previous"/> is
/// the <c>ts</c> of the entry just before <see cref="First"/> in the source oplog (zero if unknown): two chunks
/// join when the later one's Previous is at or before the earlier one's Last, so continuity is proven.
/// A compact struct because the catalog keeps hundreds of thousands of them in sorted arrays.
/// </summary>
public readonly record struct ChunkRange(
    OplogTimestamp First,
    OplogTimestamp Last,
    OplogTimestamp Previous,
    long FirstWallUnixMs,
    long LastWallUnixMs,
    int EntryCount,
    long SizeBytes);
