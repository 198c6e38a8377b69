using System.Globalization;
using System.Text.RegularExpressions;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// A Go <c>time.Duration</c> as cert-manager's <c>duration</c> and <c>renewBefore</c> fields carry it
/// (<c>87600h</c>, <c>2160h0m0s</c>, <c>1h30m</c>, <c>90s</c>): decimal numbers with the units h, m, s, ms, us, ns,
/// and Go's own way of writing one back.
/// </summary>
internal static partial class GoDuration
{
    public static TimeSpan? Parse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success || text.Length == 0) return null;
        var ticks = 0.0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = Unit().Match(part.Value).Value;
            var number = double.Parse(part.Value[..^unit.Length], CultureInfo.InvariantCulture);
            ticks += number * unit switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                _ => 0.01,
            };
        }

        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>As Go prints whole seconds: <c>2160h0m0s</c>, <c>30m0s</c>, <c>45s</c>.</summary>
    public static string Format(TimeSpan duration) =>
        (long)duration.TotalHours > 0 ? $"{(long)duration.TotalHours}h{duration.Minutes}m{duration.Seconds}s"
        : duration.Minutes > 0 ? $"{duration.Minutes}m{duration.Seconds}s"
        : $"{duration.Seconds}s";

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]+)?(h|ms|m|s|us|µs|ns))+$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"(h|ms|m|s|us|µs|ns)$")]
    private static partial Regex Unit();
}
