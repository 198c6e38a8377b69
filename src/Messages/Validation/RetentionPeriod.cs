using System.Globalization;
using System.Text.RegularExpressions;

namespace Archiver.Messages.Validation;

/// <summary>
/// KubeStash's retention periods: a count and a calendar unit, such as <c>30d</c> or <c>1y</c>. <c>m</c> is
/// months here, as in KubeStash, never minutes; <c>h</c> hours is accepted where the field allows it.
/// </summary>
public static partial class RetentionPeriod
{
    public static bool TryParse(string text, bool allowHours, out RetentionSpan value, out string reason)
    {
        value = default;
        var match = Pattern().Match(text);
        if (!match.Success || (!allowHours && match.Groups["u"].Value == "h"))
        {
            var units = allowHours ? "h, d, w, m (months) or y" : "d, w, m (months) or y";
            reason = $"must be a whole number and a unit ({units}) such as 30d or 1y, not \"{text}\"";
            return false;
        }

        value = new RetentionSpan(int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture), match.Groups["u"].Value[0]);
        reason = "";
        return true;
    }

    /// <summary>What <see cref="TryParse"/> accepts where hours are allowed, as a CRD schema pattern.</summary>
    public const string SchemaPattern = "^[1-9][0-9]{0,5}[hdwmy]$";

    /// <summary>What <see cref="TryParse"/> accepts where hours are not allowed, as a CRD schema pattern.</summary>
    public const string SchemaPatternWithoutHours = "^[1-9][0-9]{0,5}[dwmy]$";

    [GeneratedRegex(@"^(?<n>[1-9][0-9]{0,5})(?<u>[hdwmy])$")]
    private static partial Regex Pattern();
}

/// <summary>A calendar-aware span: months and years are counted on the calendar, not as fixed lengths.</summary>
public readonly record struct RetentionSpan(int Count, char Unit)
{
    /// <summary>The oldest time still inside the span, counted back from <paramref name="now"/>.</summary>
    public DateTimeOffset Before(DateTimeOffset now) => Unit switch
    {
        'h' => now.AddHours(-Count),
        'd' => now.AddDays(-Count),
        'w' => now.AddDays(-7 * Count),
        'm' => now.AddMonths(-Count),
        'y' => now.AddYears(-Count),
        _ => throw new InvalidOperationException($"unknown unit {Unit}"),
    };

    public override string ToString() => $"{Count}{Unit}";
}
