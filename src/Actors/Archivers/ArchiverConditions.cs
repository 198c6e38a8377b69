using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>The archiver's conditions: <c>Ready</c>, and one per kind of holdup (Blocked, Conflict, UsageDenied).</summary>
public static class ArchiverConditions
{
    public static IReadOnlyList<Condition> For(ArchiverPhase phase, IReadOnlyList<Holdup> holdups, DateTimeOffset now)
    {
        var conditions = new List<Condition>
        {
            new()
            {
                Type = "Ready",
                Status = phase == ArchiverPhase.Current ? ConditionStatus.True : ConditionStatus.False,
                Reason = phase.ToString(),
                Message = phase == ArchiverPhase.Current ? "every selected database is configured with the current spec" : $"the archiver is {phase}",
                LastTransitionTime = now,
            },
        };
        foreach (var kind in new[] { "Blocked", "Conflict", "UsageDenied" })
        {
            var of = holdups.Where(h => h.Kind == kind).ToList();
            conditions.Add(new Condition
            {
                Type = kind,
                Status = of.Count > 0 ? ConditionStatus.True : ConditionStatus.False,
                Reason = of.Count > 0 ? kind : "None",
                Message = of.Count > 0 ? string.Join("; ", of.Select(h => $"{h.DatabaseId}: {h.Reason}")) : null,
                LastTransitionTime = now,
            });
        }

        return conditions;
    }
}
