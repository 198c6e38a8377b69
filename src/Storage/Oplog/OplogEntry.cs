namespace Archiver.Storage.Oplog;

/// <summary>
/// One oplog entry as the caller read it: the raw BSON document, unchanged, plus the <c>ts</c> and <c>wall</c>
/// the caller already extracted. Storage orders, deduplicates and indexes by these two and never parses BSON.
/// A struct, because millions of them pass through the write path.
/// </summary>
public readonly record struct OplogEntry(OplogTimestamp Ts, long WallUnixMs, ReadOnlyMemory<byte> Document)
{
    public DateTimeOffset Wall => DateTimeOffset.FromUnixTimeMilliseconds(WallUnixMs);
}
