using System.Buffers.Binary;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Accumulates entries straight into the chunk's content layout (ts, wall, length, document), so cutting a
/// chunk costs one compression and no extra copy. Reused across chunks to keep the write path allocation-free.
/// </summary>
public sealed class ChunkContentBuilder
{
    private byte[] _buffer;

    public ChunkContentBuilder(int initialCapacity = 1 << 20) => _buffer = new byte[Math.Max(initialCapacity, 64)];

    public int Count { get; private set; }

    public int Length { get; private set; }

    public OplogTimestamp First { get; private set; }

    public OplogTimestamp Last { get; private set; }

    public long FirstWallUnixMs { get; private set; }

    public long LastWallUnixMs { get; private set; }

    public ReadOnlySpan<byte> Content => _buffer.AsSpan(0, Length);

    /// <summary>Adds an entry; entries must come in strictly increasing <c>ts</c> order.</summary>
    public void Append(in OplogEntry entry)
    {
        if (Count > 0 && entry.Ts <= Last)
        {
            throw new ArgumentException($"Entry ts {entry.Ts} is not after the previous entry's {Last}.", nameof(entry));
        }

        var needed = Length + OplogChunkFormat.RecordOverhead + entry.Document.Length;
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }

        var span = _buffer.AsSpan(Length);
        BinaryPrimitives.WriteUInt64LittleEndian(span, entry.Ts.Value);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], entry.WallUnixMs);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], entry.Document.Length);
        entry.Document.Span.CopyTo(span[OplogChunkFormat.RecordOverhead..]);
        Length = needed;
        if (Count == 0)
        {
            First = entry.Ts;
            FirstWallUnixMs = entry.WallUnixMs;
        }

        Last = entry.Ts;
        LastWallUnixMs = entry.WallUnixMs;
        Count++;
    }

    public void Clear()
    {
        Count = 0;
        Length = 0;
    }
}
