using System.Globalization;
using Archiver.Storage;
using Archiver.Storage.Oplog;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Where a restore stops. The matching rule (docs/data-plane.md): an entry is included when its <c>wall</c>
/// (milliseconds, read as the instant <c>wall.000</c>) is at or before the target time in microseconds (strictly
/// before with <see cref="Exclusive"/>); an entry without <c>wall</c> is matched by its <c>ts</c> seconds the same
/// way. A <c>ts</c> target includes the entry with that exact <c>ts</c> (excludes it with <see cref="Exclusive"/>).
/// The replay stops at the first entry not included, so what is applied is always a prefix of the history.
/// </summary>
public sealed record RestoreTarget
{
    private RestoreTarget(RestoreTargetKind kind, long? timeUnixMicroseconds, OplogTimestamp? ts, bool exclusive)
    {
        Kind = kind;
        TimeUnixMicroseconds = timeUnixMicroseconds;
        Ts = ts;
        Exclusive = exclusive;
    }

    public RestoreTargetKind Kind { get; }

    public long? TimeUnixMicroseconds { get; }

    public OplogTimestamp? Ts { get; }

    public bool Exclusive { get; }

    public static RestoreTarget Latest { get; } = new(RestoreTargetKind.Latest, null, null, false);

    public static RestoreTarget Immediate { get; } = new(RestoreTargetKind.Immediate, null, null, false);

    /// <summary>A time; <see cref="DateTimeOffset"/> ticks below a microsecond are dropped.</summary>
    public static RestoreTarget AtTime(DateTimeOffset time, bool exclusive = false) =>
        AtTimeMicroseconds((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10, exclusive);

    public static RestoreTarget AtTimeMicroseconds(long unixMicroseconds, bool exclusive = false) =>
        new(RestoreTargetKind.Time, unixMicroseconds, null, exclusive);

    public static RestoreTarget AtTs(OplogTimestamp ts, bool exclusive = false) => new(RestoreTargetKind.Ts, null, ts, exclusive);

    public RestoreTarget AsExclusive() => new(Kind, TimeUnixMicroseconds, Ts, true);

    /// <summary>
    /// Parses <c>latest</c>, <c>immediate</c>, <c>seconds:increment</c>, or an ISO-8601 time with up to six
    /// fractional digits (<c>2026-11-25T17:00:00.123456Z</c>); a trailing <c>!</c> or <c>,exclusive</c> makes it exclusive.
    /// </summary>
    public static RestoreTarget Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var value = text.Trim();
        var exclusive = false;
        if (value.EndsWith(",exclusive", StringComparison.OrdinalIgnoreCase))
        {
            (value, exclusive) = (value[..^",exclusive".Length], true);
        }

        switch (value.ToLowerInvariant())
        {
            case "latest":
                return exclusive ? Latest.AsExclusive() : Latest;
            case "immediate":
                return exclusive ? Immediate.AsExclusive() : Immediate;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && !value.Contains('T', StringComparison.Ordinal)
            && uint.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && uint.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var increment))
        {
            return AtTs(new OplogTimestamp(seconds, increment), exclusive);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return AtTime(time, exclusive);
        }

        throw new FormatException($"'{text}' is not a restore target: use latest, immediate, seconds:increment or an ISO-8601 time.");
    }

    /// <summary>True when <paramref name="entry"/> is past the target (the replay stops before it). Latest and Immediate are resolved to a <c>ts</c> first.</summary>
    public bool IsPast(in OplogEntry entry)
    {
        if (Kind == RestoreTargetKind.Time)
        {
            var wallMicros = entry.WallUnixMs * 1000;
            return Exclusive ? wallMicros >= TimeUnixMicroseconds!.Value : wallMicros > TimeUnixMicroseconds!.Value;
        }

        var ts = Ts ?? throw new InvalidOperationException($"A {Kind} target must be resolved to a ts first.");
        return Exclusive ? entry.Ts >= ts : entry.Ts > ts;
    }

    public override string ToString()
    {
        var suffix = Exclusive ? " (exclusive)" : string.Empty;
        return Kind switch
        {
            RestoreTargetKind.Time => string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UnixEpoch.AddTicks(TimeUnixMicroseconds!.Value * 10):yyyy-MM-ddTHH:mm:ss.ffffffZ}{suffix}"),
            RestoreTargetKind.Ts => string.Create(CultureInfo.InvariantCulture, $"ts {Ts!.Value.Seconds}:{Ts.Value.Increment}{suffix}"),
            _ => Kind.ToString().ToLowerInvariant() + suffix,
        };
    }
}
