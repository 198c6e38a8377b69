using System.Globalization;
using System.Text.RegularExpressions;

namespace Archiver.Messages.Validation;

/// <summary>
/// RFC 3339 date-times, kept to the microsecond: <c>2020-10-28T01:48:23.121314+03:00</c>. Stricter than
/// <see cref="DateTimeOffset.Parse(string)"/>: the offset is required, and digits past the microsecond are
/// refused rather than silently rounded, because a restore target must mean exactly what was written.
/// </summary>
public static partial class Rfc3339
{
    public const string Example = "2020-10-28T01:48:23.121314+03:00";

    public static bool TryParse(string text, out DateTimeOffset value, out string reason)
    {
        value = default;
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            reason = $"must be an RFC 3339 time such as {Example}, not \"{text}\"";
            return false;
        }

        var fraction = match.Groups["fraction"].Value;
        if (fraction.Length > 6 && fraction[6..].Any(c => c != '0'))
        {
            reason = $"has {fraction.Length} fractional digits; times are kept to the microsecond (6 digits), not \"{text}\"";
            return false;
        }

        var normalized = $"{match.Groups["date"].Value}T{match.Groups["time"].Value}.{(fraction.Length > 0 ? fraction[..Math.Min(6, fraction.Length)] : "0").PadRight(6, '0')}{Offset(match.Groups["offset"].Value)}";
        if (!DateTimeOffset.TryParseExact(normalized, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out value))
        {
            reason = $"is not a valid date or time (month, day, hour or offset out of range): \"{text}\"";
            return false;
        }

        reason = "";
        return true;
    }

    public static DateTimeOffset Parse(string text) =>
        TryParse(text, out var value, out var reason) ? value : throw new FormatException(reason);

    /// <summary>Microseconds, and the offset as written; trailing zeros of the fraction left out.</summary>
    public static string Format(DateTimeOffset value) =>
        value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal);

    /// <summary>
    /// Whole seconds in UTC (<c>2026-12-07T15:55:24Z</c>), as Kubernetes writes its times (metav1.Time): where a person
    /// reads when something happened, not where a restore target is named.
    /// </summary>
    public static string FormatSeconds(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Offset(string offset) => offset is "Z" or "z" ? "+00:00" : offset;

    [GeneratedRegex(@"^(?<date>\d{4}-\d{2}-\d{2})[Tt](?<time>\d{2}:\d{2}:\d{2})(\.(?<fraction>\d{1,9}))?(?<offset>[Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Pattern();
}
