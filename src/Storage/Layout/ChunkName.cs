using System.Globalization;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Layout;

/// <summary>
/// A chunk's object name carries everything the catalog needs, so a listing alone builds the catalog:
/// <c>{first}-{last}_p{previous}_w{firstWall}-{lastWall}_n{count}.oplog</c>, each ts as
/// <c>{seconds:D10}.{increment:D10}</c> and walls as Unix milliseconds. Fixed-width ts first, so names sort by time.
/// </summary>
public static class ChunkName
{
    public const string Suffix = ".oplog";

    public static string Format(in ChunkRange range) => string.Create(
        CultureInfo.InvariantCulture,
        $"{Ts(range.First)}-{Ts(range.Last)}_p{Ts(range.Previous)}_w{range.FirstWallUnixMs}-{range.LastWallUnixMs}_n{range.EntryCount}{Suffix}");

    /// <summary>Parses a name (the last segment of a key); the size comes from the listing.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, long sizeBytes, out ChunkRange range)
    {
        range = default;
        if (!name.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = name[..^Suffix.Length];
        if (!TryTs(ref rest, '-', out var first)
            || !TryTs(ref rest, '_', out var last)
            || !Expect(ref rest, 'p')
            || !TryTs(ref rest, '_', out var previous)
            || !Expect(ref rest, 'w')
            || !TryLong(ref rest, '-', out var firstWall)
            || !TryLong(ref rest, '_', out var lastWall)
            || !Expect(ref rest, 'n')
            || !int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || last < first
            || (!previous.IsZero && previous >= first))
        {
            return false;
        }

        range = new ChunkRange(first, last, previous, firstWall, lastWall, count, sizeBytes);
        return true;
    }

    private static string Ts(OplogTimestamp ts) =>
        string.Create(CultureInfo.InvariantCulture, $"{ts.Seconds:D10}.{ts.Increment:D10}");

    private static bool Expect(ref ReadOnlySpan<char> rest, char marker)
    {
        if (rest.IsEmpty || rest[0] != marker)
        {
            return false;
        }

        rest = rest[1..];
        return true;
    }

    private static bool TryTs(ref ReadOnlySpan<char> rest, char terminator, out OplogTimestamp ts)
    {
        ts = default;
        var end = rest.IndexOf(terminator);
        if (end < 0)
        {
            return false;
        }

        var text = rest[..end];
        var dot = text.IndexOf('.');
        if (dot < 0
            || !uint.TryParse(text[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || !uint.TryParse(text[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var increment))
        {
            return false;
        }

        ts = new OplogTimestamp(seconds, increment);
        rest = rest[(end + 1)..];
        return true;
    }

    private static bool TryLong(ref ReadOnlySpan<char> rest, char terminator, out long value)
    {
        value = 0;
        var end = rest.IndexOf(terminator);
        if (end < 0 || !long.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        rest = rest[(end + 1)..];
        return true;
    }
}
