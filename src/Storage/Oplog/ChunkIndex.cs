namespace Archiver.Storage.Oplog;

/// <summary>
/// One index record per entry, relative to the entry before it (the first to zero): the seconds delta of
/// <c>ts</c> (unsigned varint); the increment (unsigned varint), as a delta from the previous increment when the
/// seconds are equal; the wall delta in ms (zigzag varint); and the document's length (unsigned varint).
/// Consecutive oplog entries differ little, so a record is usually 4 or 5 bytes. Keeping the lengths here lets a
/// reader index a chunk by walking this small table alone, without touching every document in memory.
/// </summary>
internal static class ChunkIndex
{
    public const int MaxEntryLength = 5 + 5 + 10 + 5;

    public static int Write(Span<byte> target, OplogTimestamp previousTs, long previousWall, OplogTimestamp ts, long wall, int length)
    {
        var seconds = ts.Seconds - previousTs.Seconds;
        var n = WriteVarint(target, seconds);
        n += WriteVarint(target[n..], seconds == 0 ? ts.Increment - previousTs.Increment : ts.Increment);
        var delta = wall - previousWall;
        n += WriteVarint(target[n..], (ulong)((delta << 1) ^ (delta >> 63)));
        n += WriteVarint(target[n..], (uint)length);
        return n;
    }

    /// <summary>Reads one record; false if the index is truncated or malformed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, ref int offset, ref OplogTimestamp ts, ref long wall, out int length)
    {
        length = 0;
        // Most fields are one byte: take that path without entering the general loop.
        if (!TryReadVarint(source, ref offset, out var seconds)
            || !TryReadVarint(source, ref offset, out var increment)
            || !TryReadVarint(source, ref offset, out var zigzag)
            || !TryReadVarint(source, ref offset, out var documentLength)
            || documentLength > int.MaxValue
            || seconds > uint.MaxValue - ts.Seconds)
        {
            return false;
        }

        var fullIncrement = seconds == 0 ? ts.Increment + increment : increment;
        if (fullIncrement > uint.MaxValue)
        {
            return false;
        }

        ts = new OplogTimestamp(ts.Seconds + (uint)seconds, (uint)fullIncrement);
        wall += (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        length = (int)documentLength;
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

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool TryReadVarint(ReadOnlySpan<byte> source, ref int offset, out ulong value)
    {
        if ((uint)offset < (uint)source.Length && source[offset] < 0x80)
        {
            value = source[offset++];
            return true;
        }

        return TryReadLongVarint(source, ref offset, out value);
    }

    private static bool TryReadLongVarint(ReadOnlySpan<byte> source, ref int offset, out ulong value)
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
