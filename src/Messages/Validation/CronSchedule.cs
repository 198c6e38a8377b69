using Cronos;

namespace Archiver.Messages.Validation;

/// <summary>
/// Schedules as Kubernetes CronJobs take them: five fields (minute hour day-of-month month day-of-week) or a
/// macro (<c>@yearly</c>, <c>@annually</c>, <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c>, <c>@midnight</c>,
/// <c>@hourly</c>). Parsed by Cronos; seconds fields and Cronos-only macros are refused.
/// </summary>
public static class CronSchedule
{
    private static readonly string[] Macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

    public static bool TryParse(string text, out CronExpression? expression, out string reason)
    {
        expression = null;
        var trimmed = text.Trim();
        if (trimmed.StartsWith('@') && !Macros.Contains(trimmed, StringComparer.OrdinalIgnoreCase))
        {
            reason = $"unknown macro \"{trimmed}\"; use one of {string.Join(", ", Macros)} or five cron fields";
            return false;
        }

        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (!trimmed.StartsWith('@') && fields != 5)
        {
            reason = $"must have five fields (minute hour day-of-month month day-of-week), not {fields}: \"{text}\"";
            return false;
        }

        try
        {
            expression = CronExpression.Parse(trimmed, CronFormat.Standard);
            reason = "";
            return true;
        }
        catch (CronFormatException e)
        {
            // Cronos starts every message with the same sentence; what follows it names the field and the rule.
            var detail = e.Message.Replace("The given cron expression has an invalid format. ", "", StringComparison.Ordinal).TrimEnd('.');
            reason = $"is not a valid cron schedule: {detail}: \"{text}\"";
            return false;
        }
    }
}
