using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage.Catalog;

namespace Archiver.Actors.StorageIndexes;

/// <summary>The catalog's answers as protocol records, which travel between nodes.</summary>
internal static class CatalogViews
{
    /// <summary>Every timeline's windows and gaps or, with an owner, that database's lineage (see <see cref="GetRecoverableWindows"/>).</summary>
    public static RecoverableWindowsReply Windows(string prefix, RepositoryCatalog catalog, string? owner = null)
    {
        var timelines = catalog.Timelines.Select(t => t.Record).OfType<Storage.Layout.TimelineRecord>()
            .Select(r => new TimelineInfo(r.Id, r.Owner, r.Parent, r.ParentPrefix,
                r.Parent is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.BranchedAtWallUnixMs), r.Reason))
            .ToList();
        if (owner is not null)
        {
            if (catalog.OwnedBy(owner) is not { } own)
            {
                return new RecoverableWindowsReply(prefix, [], [], null, timelines, null);
            }

            return new RecoverableWindowsReply(
                prefix, [.. catalog.LineageWindows(own.Timeline).Select(Window)], [.. GapsOf(catalog, own)], null, timelines, own.Timeline, [.. UsageOf(own)]);
        }

        return new RecoverableWindowsReply(
            prefix,
            [.. catalog.Timelines.SelectMany(t => catalog.WindowsOf(t.Timeline)).Select(Window)],
            [.. catalog.Timelines.SelectMany(t => GapsOf(catalog, t))],
            null,
            timelines,
            Usage: [.. catalog.Timelines.SelectMany(UsageOf)]);
    }

    /// <summary>What archiving costs in the storage, per component: the objects a listing meets and the bytes billed.</summary>
    public static IEnumerable<StorageUsageInfo> UsageOf(TimelineCatalog timeline)
    {
        var files = timeline.Backups.SelectMany(b => b.Files).ToLookup(f => f.Component, StringComparer.Ordinal);
        foreach (var component in timeline.Components.Keys.Union(files.Select(g => g.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var history = timeline.Components.GetValueOrDefault(component);
            yield return new StorageUsageInfo(
                timeline.Timeline, component, history?.ChunkCount ?? 0, history?.ChunkBytes ?? 0, files[component].Count(), files[component].Sum(f => f.StoredSize));
        }
    }

    public static RecoveryPlanReply Plan(string prefix, RestorePlanResult result) => result.Plan is { } plan
        ? new RecoveryPlanReply(prefix, new PlanInfo(plan.Timeline, plan.BaseBackup.Id, plan.BaseBackup.ReplayAfter.ToString(),
            [.. plan.Components.Select(c => c.Component)], plan.ChunkCount, plan.BytesToRead, plan.BaseTimeline, plan.BasePrefix,
            [.. plan.Segments.Select(s => new SegmentInfo(s.Prefix, s.Timeline, s.Component, s.Chunks.Count, s.Until?.ToString()))],
            plan.Target.Format(), RestorePlanDocument.From(plan).ToJson(),
            plan.BaseBackup.IsVolumeSnapshot ? [.. plan.BaseBackup.VolumeSnapshots.Select(v => new VolumeSnapshotRef(v.Namespace, v.Name))] : null,
            plan.BaseBackup.ConfigServer), null, null)
        : new RecoveryPlanReply(prefix, null, new RefusalInfo(result.Refusal!.Reason.ToString(), result.Refusal.Message, result.Refusal.EarliestRecoverable, result.Refusal.LatestRecoverable), null);

    private static WindowInfo Window(RecoverableWindow w) => new(w.Timeline, w.BackupId, w.From, w.To, w.FromTs.ToString(), w.ToTs.ToString())
    {
        EndedBy = w.JoinedBy is { } joined ? $"{joined} joined the cluster" : w.LimitedBy is { } first ? $"{first}'s archive ends first" : null,
    };

    private static IEnumerable<GapInfo> GapsOf(RepositoryCatalog catalog, TimelineCatalog timeline)
    {
        var gaps = timeline.Components.Values.SelectMany(c => c.Gaps()).ToList();
        if (catalog.BranchGap(timeline.Timeline) is { } branch) gaps.Insert(0, branch);
        return gaps.Select(g => new GapInfo(g.Component, g.Timeline, DateTimeOffset.FromUnixTimeMilliseconds(g.AfterWallUnixMs), DateTimeOffset.FromUnixTimeMilliseconds(g.BeforeWallUnixMs)));
    }
}
