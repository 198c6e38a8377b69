namespace Archiver.Storage.Oplog;

/// <summary>
/// One index record per entry, relative to the entry before it (the first to zero): the seconds delta of
/// <c>ts</c> (unsigned varint), the increment (unsigned varint), and the wall delta in ms (zigzag varint).
/// Consecutive oplog entries differ little, so a record is usually 3 to 5 bytes.
/// </summary>
internal static class ChunkIndex
{
    public const int MaxEntryLength = 5 + 5 + 10;

    public static int Write(Span<byte> target, OplogTimestamp previousTs, long previousWall, OplogTimestamp ts, long wall)
    {
        var n = WriteVarint(target, ts.Seconds - previousTs.Seconds);
        n += WriteVarint(target[n..], ts.Increment);
        var delta = wall - previousWall;
        n += WriteVarint(target[n..], (ulong)((delta << 1) ^ (delta >> 63)));
        return n;
    }

    /// <summary>Reads one record; false if the index is truncated or malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, ref int offset, ref OplogTimestamp ts, ref long wall)
    {
        if (!TryReadVarint(source, ref offset, out var seconds)
            || !TryReadVarint(source, ref offset, out var increment)
            || !TryReadVarint(source, ref offset, out var zigzag)
            || seconds > uint.MaxValue - ts.Seconds
            || increment > uint.MaxValue)
        {
            return false;
        }

        ts = new OplogTimestamp(ts.Seconds + (uint)seconds, (uint)increment);
        wall += (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        return true;
    }

    private static int WriteVarint(Span<byte> target, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            target[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        target[n++] = (byte)value;
        return n;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> source, ref int offset, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && offset < source.Length; shift += 7)
        {
            var b = source[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
