using System.Globalization;
using System.Text.RegularExpressions;

namespace Archiver.Messages.Validation;

/// <summary>
/// Durations in Kubernetes/Go syntax (<c>time.ParseDuration</c>): a sequence of decimal numbers with units
/// ns, us (µs), ms, s, m, h, such as <c>2m</c>, <c>1h30m</c>, <c>500ms</c>, <c>1.5h</c>, or a bare <c>0</c>.
/// Negative durations are refused: every duration here is a delay, timeout or age.
/// </summary>
public static partial class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value, out string reason)
    {
        value = TimeSpan.Zero;
        reason = $"must be a duration such as 30s, 2m, 1h30m or 500ms, not \"{text}\"";
        if (text == "0") return true;
        if (text.StartsWith('-'))
        {
            reason = $"must not be negative, not \"{text}\"";
            return false;
        }

        var body = text.StartsWith('+') ? text[1..] : text;
        if (!Whole().IsMatch(body)) return false;
        double ticks = 0;
        foreach (Match part in Part().Matches(body))
        {
            var number = double.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
            ticks += number * UnitTicks(part.Groups["u"].Value);
        }

        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            reason = $"is too long, \"{text}\"";
            return false;
        }

        value = TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var reason) ? value : throw new FormatException(reason);

    /// <summary>Go's own spelling (<c>time.Duration.String</c>): <c>1h0m0s</c>, <c>2m30s</c>, <c>1.5s</c>, <c>250ms</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        if (value < TimeSpan.FromSeconds(1))
        {
            return $"{value.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture)}ms";
        }

        var seconds = (value.Ticks % TimeSpan.TicksPerMinute / (double)TimeSpan.TicksPerSecond).ToString("0.#######", CultureInfo.InvariantCulture);
        var hours = (long)value.TotalHours;
        return hours > 0 ? $"{hours}h{value.Minutes}m{seconds}s"
            : value.Minutes > 0 ? $"{value.Minutes}m{seconds}s"
            : $"{seconds}s";
    }

    private static double UnitTicks(string unit) => unit switch
    {
        "ns" => 0.01,
        "us" or "µs" or "μs" => 10,
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        _ => throw new FormatException(unit),
    };

    /// <summary>
    /// What <see cref="TryParse"/> accepts, as a CRD schema pattern for the API server to check: <c>0</c>, or an optional
    /// <c>+</c> and number-unit pairs (no <c>-</c>: negative durations are refused). Only a duration too long for a
    /// TimeSpan matches it and is still refused.
    /// </summary>
    public const string SchemaPattern = @"^(0|\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$";

    [GeneratedRegex(@"^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(?<n>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?<u>ns|us|µs|μs|ms|s|m|h)")]
    private static partial Regex Part();
}
