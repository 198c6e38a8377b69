using System.Globalization;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>
/// Where a restore stops: the one target type of planning (<see cref="RepositoryCatalog.PlanRestore"/>), of the plan a
/// restore records and of the replay. The matching rule (docs/data-plane.md): an entry is included when its
/// <c>wall</c> (milliseconds, read as the instant <c>wall.000</c>) is at or before the target time in microseconds
/// (strictly before with <see cref="Exclusive"/>); a <c>ts</c> target includes the entry with that exact <c>ts</c>
/// (excludes it with <see cref="Exclusive"/>). The replay stops at the first entry not included, so what is applied is
/// always a prefix of the history. <c>latest</c> and <c>immediate</c> are resolved by the catalog into <c>ts</c>
/// targets when planned: a plan's target is always a time or a ts.
/// </summary>
public sealed record RecoveryTarget
{
    private RecoveryTarget(RecoveryTargetKind kind, long? timeUnixMicroseconds, OplogTimestamp? ts, bool exclusive)
    {
        Kind = kind;
        TimeUnixMicroseconds = timeUnixMicroseconds;
        Ts = ts;
        Exclusive = exclusive;
    }

    public RecoveryTargetKind Kind { get; }

    public long? TimeUnixMicroseconds { get; }

    /// <summary>A time target's instant (microseconds).</summary>
    public DateTimeOffset? Time => TimeUnixMicroseconds is { } micros ? DateTimeOffset.UnixEpoch.AddTicks(micros * 10) : null;

    public OplogTimestamp? Ts { get; }

    public bool Exclusive { get; }

    public static RecoveryTarget Latest { get; } = new(RecoveryTargetKind.Latest, null, null, false);

    public static RecoveryTarget Immediate { get; } = new(RecoveryTargetKind.Immediate, null, null, false);

    /// <summary>
    /// The newest wall millisecond a time target includes (an entry's <c>wall</c> counts as <c>wall.000</c>): what the
    /// catalog, which keeps walls in milliseconds, plans with. Null for the other kinds.
    /// </summary>
    public long? LastWallUnixMs => TimeUnixMicroseconds is { } micros
        ? Math.DivRem(micros - (Exclusive ? 1 : 0), 1000, out var rest) - (rest < 0 ? 1 : 0)
        : null;

    /// <summary>The newest <c>ts</c> a ts target includes. Null for the other kinds.</summary>
    public OplogTimestamp? LastTs => Kind == RecoveryTargetKind.Ts
        ? Exclusive && !Ts!.Value.IsZero ? OplogTimestamp.FromValue(Ts.Value.Value - 1) : Ts
        : null;

    /// <summary>A time; <see cref="DateTimeOffset"/> ticks below a microsecond are dropped.</summary>
    public static RecoveryTarget AtTime(DateTimeOffset time, bool exclusive = false) =>
        AtTimeMicroseconds((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10, exclusive);

    public static RecoveryTarget AtTimeMicroseconds(long unixMicroseconds, bool exclusive = false) =>
        new(RecoveryTargetKind.Time, unixMicroseconds, null, exclusive);

    public static RecoveryTarget AtTs(OplogTimestamp ts, bool exclusive = false) => new(RecoveryTargetKind.Ts, null, ts, exclusive);

    public RecoveryTarget AsExclusive() => new(Kind, TimeUnixMicroseconds, Ts, true);

    /// <summary>
    /// The one parser of targets, wherever one is written (the API's <c>at</c>, <c>archiver plan --at</c>, a recorded
    /// plan): <c>latest</c>, <c>immediate</c>, <c>seconds:increment</c>, or an RFC 3339 time with its offset and up to
    /// six fractional digits (<c>2026-11-25T17:00:00.123456Z</c>); <c>,exclusive</c> after it makes it exclusive. Digits
    /// past the microsecond are refused, not rounded: a target must mean exactly what was written.
    /// </summary>
    public static bool TryParse(string? text, out RecoveryTarget target, out string reason)
    {
        target = Latest;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "a target is required: an RFC 3339 time (e.g. 2026-11-25T17:00:00.123456Z), seconds:increment, latest or immediate";
            return false;
        }

        var value = text.Trim();
        var exclusive = value.EndsWith(",exclusive", StringComparison.OrdinalIgnoreCase);
        if (exclusive)
        {
            value = value[..^",exclusive".Length];
        }

        reason = "";
        switch (value.ToLowerInvariant())
        {
            case "latest":
                target = exclusive ? Latest.AsExclusive() : Latest;
                return true;
            case "immediate" when exclusive:
                reason = "'immediate' is a backup's consistent point: the data is not consistent just before it, so it cannot be exclusive";
                return false;
            case "immediate":
                target = Immediate;
                return true;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && value.IndexOf(':', colon + 1) < 0 && !value.Contains('-', StringComparison.Ordinal))
        {
            if (uint.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                && uint.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var increment))
            {
                target = AtTs(new OplogTimestamp(seconds, increment), exclusive);
                return true;
            }

            reason = $"'{text}' is not seconds:increment (two whole numbers, e.g. 1764090000:3)";
            return false;
        }

        if (!TryParseTime(value, out var micros, out var why))
        {
            reason = $"'{text}' is not a target: {why}";
            return false;
        }

        target = AtTimeMicroseconds(micros, exclusive);
        return true;
    }

    public static RecoveryTarget Parse(string text) =>
        TryParse(text, out var target, out var reason) ? target : throw new FormatException(reason);

    /// <summary>The text <see cref="Parse"/> reads back as this target: what a recorded plan keeps.</summary>
    public string Format()
    {
        var suffix = Exclusive ? ",exclusive" : string.Empty;
        return Kind switch
        {
            RecoveryTargetKind.Time => string.Create(CultureInfo.InvariantCulture, $"{Time!.Value:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}{suffix}"),
            RecoveryTargetKind.Ts => string.Create(CultureInfo.InvariantCulture, $"{Ts!.Value.Seconds}:{Ts.Value.Increment}{suffix}"),
            _ => Kind.ToString().ToLowerInvariant() + suffix,
        };
    }

    /// <summary>True when <paramref name="entry"/> is past the target (the replay stops before it). Latest and Immediate are resolved to a <c>ts</c> first.</summary>
    public bool IsPast(OplogEntry entry)
    {
        if (Kind == RecoveryTargetKind.Time)
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
            RecoveryTargetKind.Time => string.Create(CultureInfo.InvariantCulture, $"{Time!.Value:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}{suffix}"),
            RecoveryTargetKind.Ts => string.Create(CultureInfo.InvariantCulture, $"ts {Ts!.Value.Seconds}:{Ts.Value.Increment}{suffix}"),
            _ => Kind.ToString().ToLowerInvariant() + suffix,
        };
    }

    /// <summary>
    /// RFC 3339 (https://www.rfc-editor.org/rfc/rfc3339#section-5.6): a date, <c>T</c>, a time, an optional fraction
    /// of at most six significant digits, and a required offset (<c>Z</c> or <c>±hh:mm</c>).
    /// </summary>
    private static bool TryParseTime(string text, out long unixMicroseconds, out string reason)
    {
        unixMicroseconds = 0;
        int offsetAt;
        if (text.Length > 0 && text[^1] is 'Z' or 'z')
        {
            offsetAt = text.Length - 1;
        }
        else if (text.Length >= 6 && text[^6] is '+' or '-' && text[^3] == ':')
        {
            offsetAt = text.Length - 6;
        }
        else
        {
            reason = "use an RFC 3339 time with its offset (Z or +hh:mm), such as 2026-11-25T17:00:00.123456Z";
            return false;
        }

        if (offsetAt < 19 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't') || text[13] != ':' || text[16] != ':')
        {
            reason = "use an RFC 3339 time with its offset, such as 2026-11-25T17:00:00.123456Z";
            return false;
        }

        var fraction = offsetAt > 19 && text[19] == '.' ? text[20..offsetAt] : "";
        if ((offsetAt > 19 && text[19] != '.') || (offsetAt > 19 && fraction.Length == 0) || !fraction.All(char.IsAsciiDigit))
        {
            reason = "the fraction of a second must be digits after a '.', such as 17:00:00.123456Z";
            return false;
        }

        if (fraction.Length > 6 && fraction[6..].Any(c => c != '0'))
        {
            reason = $"it has {fraction.Length} fractional digits: targets are kept to the microsecond (6 digits)";
            return false;
        }

        var offset = text[offsetAt..] is "Z" or "z" ? "+00:00" : text[offsetAt..];
        var normalized = $"{text[..10]}T{text[11..19]}.{fraction.PadRight(6, '0')[..6]}{offset}";
        if (!DateTimeOffset.TryParseExact(normalized, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            reason = "the date, time or offset is out of range (an RFC 3339 time such as 2026-11-25T17:00:00.123456Z)";
            return false;
        }

        unixMicroseconds = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        reason = "";
        return true;
    }
}
