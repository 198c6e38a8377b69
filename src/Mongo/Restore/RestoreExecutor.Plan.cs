using Archiver.Storage.Catalog;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// The catalog's plan for <paramref name="to"/> (<c>latest</c> and <c>immediate</c> resolved to a ts by it), as the
    /// StorageIndex makes it for <c>archiver plan</c> and for a database's restore; refused, before anything is written,
    /// when no window covers the target.
    /// </summary>
    public async Task<RestorePlan> PlanAsync(RecoveryTarget to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        var catalog = await RepositoryCatalog.LoadAsync(store, layout, cancellationToken);
        var result = catalog.PlanRestore(to, _options.Time.GetUtcNow(), _options.Timeline);
        return result.Plan ?? throw new RestoreRefusedException($"Cannot restore to {to}: {result.Refusal!.Message}") { Refusal = result.Refusal };
    }

    /// <summary>What a plan asks for, checked against what this executor can run.</summary>
    private static RestoreWork WorkOf(RestorePlan plan)
    {
        if (plan.BaseBackup.Components.Count != 1 || plan.Segments.Count == 0)
        {
            throw new RestoreRefusedException($"Backup {plan.BaseBackup.Id} spans {plan.BaseBackup.Components.Count} components; only replica-set restores are supported.");
        }

        if (plan.Target.Kind is not (RecoveryTargetKind.Time or RecoveryTargetKind.Ts))
        {
            throw new ArgumentException($"A plan's target is a time or a ts, resolved when planned; not {plan.Target}.", nameof(plan));
        }

        return new RestoreWork(
            plan,
            plan.Segments.Sum(s => s.Chunks.Sum(c => (long)c.Range.EntryCount)),
            plan.BaseBackup.TotalStoredBytes + plan.Segments.Sum(s => s.Chunks.Sum(c => c.Range.SizeBytes)));
    }
}
