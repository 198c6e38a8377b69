using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>The archiver's conditions: <c>Ready</c>, and one per kind of holdup (Blocked, Conflict, UsageDenied, Unsupported).</summary>
public static class ArchiverConditions
{
    /// <param name="waits">Requests in flight waiting for a cause outside Archiver: <c>Ready</c>'s message names the first.</param>
    public static IReadOnlyList<Condition> For(ArchiverPhase phase, IReadOnlyList<Holdup> holdups, DateTimeOffset now, IReadOnlyList<Holdup> waits)
    {
        // One line however many wait: the first, and how many more.
        var waiting = waits.Count == 0 ? "" : $"; {waits[0].DatabaseId} waits: {waits[0].Reason}{(waits.Count > 1 ? $" (and {waits.Count - 1} more)" : "")}";
        var conditions = new List<Condition>
        {
            new()
            {
                Type = "Ready",
                Status = phase == ArchiverPhase.Current ? ConditionStatus.True : ConditionStatus.False,
                Reason = phase.ToString(),
                Message = phase == ArchiverPhase.Current ? "every selected database is configured with the current spec" : $"the archiver is {phase}{waiting}",
                LastTransitionTime = now,
            },
        };
        foreach (var kind in new[] { "Blocked", "Conflict", "UsageDenied", "Unsupported" })
        {
            var of = holdups.Where(h => h.Kind == kind).ToList();
            conditions.Add(new Condition
            {
                Type = kind,
                Status = of.Count > 0 ? ConditionStatus.True : ConditionStatus.False,
                Reason = of.Count > 0 ? kind : "None",
                Message = of.Count > 0 ? string.Join("; ", of.Select(h => h.DatabaseId is { } db ? $"{db}: {h.Reason}" : h.Reason)) : null,
                LastTransitionTime = now,
            });
        }

        return conditions;
    }

    /// <summary>
    /// The conditions with <c>Ready</c> false for the writes the API server refused (RBAC), in its own words, which name
    /// the verb, resource and namespace to grant. Retried with backoff until granted.
    /// </summary>
    public static IReadOnlyList<Condition> Refused(IReadOnlyList<Condition> conditions, IReadOnlyList<string> refusals)
    {
        // One line however many databases were refused alike: the first, and how many more.
        var sorted = refusals.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var more = sorted.Count > 1 ? $" (and {sorted.Count - 1} more)" : "";
        return [.. conditions.Select(c => c.Type != "Ready" ? c : c with { Status = ConditionStatus.False, Reason = "Forbidden", Message = $"{sorted[0]}{more}; retrying" })];
    }
}
