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
    private RestoreWork WorkOf(RestorePlan plan)
    {
        if (plan.BaseBackup.Components.Count != 1 || plan.Segments.Count == 0)
        {
            throw new RestoreRefusedException($"Backup {plan.BaseBackup.Id} spans {plan.BaseBackup.Components.Count} components; only replica-set restores are supported.");
        }

        // A snapshot base holds no files in the repository: loading it as a dump would load nothing and replay onto an
        // empty target, a restore missing everything before the snapshot that would still look finished. Its data comes
        // back as claims made from the VolumeSnapshot, before the database's pods start (docs/cluster.md).
        if (plan.BaseBackup.IsVolumeSnapshot && !_options.BaseInVolumes)
        {
            var snapshot = plan.BaseBackup.VolumeSnapshots[0];
            throw new RestoreRefusedException(
                $"Backup {plan.BaseBackup.Id} is a volume snapshot (VolumeSnapshot {snapshot.Namespace}/{snapshot.Name}, {plan.BaseBackup.Driver}): its data is restored by "
                + "creating the database's claims from the snapshot, not by a logical load; restore to a point covered by a Logical backup, or from the snapshot in the cluster");
        }

        if (_options.BaseInVolumes && !plan.BaseBackup.IsVolumeSnapshot)
        {
            throw new RestoreRefusedException(
                $"The target was started from volumes, but the plan's base, backup {plan.BaseBackup.Id}, is a {plan.BaseBackup.Driver} backup with no VolumeSnapshot: its data is loaded from the repository into an empty target");
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
