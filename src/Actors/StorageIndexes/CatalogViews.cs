using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage.Catalog;

namespace Archiver.Actors.StorageIndexes;

/// <summary>The catalog's answers as protocol records, which travel between nodes.</summary>
internal static class CatalogViews
{
    public static RecoverableWindowsReply Windows(string prefix, RepositoryCatalog catalog) => new(
        prefix,
        [.. catalog.Timelines.SelectMany(t => t.MergedWindows()).Select(w => new WindowInfo(w.Timeline, w.BackupId, w.From, w.To, w.FromTs.ToString(), w.ToTs.ToString()))],
        [.. catalog.Timelines.SelectMany(t => t.Components.Values).SelectMany(c => c.Gaps()).Select(g => new GapInfo(
            g.Component, g.Timeline, DateTimeOffset.FromUnixTimeMilliseconds(g.AfterWallUnixMs), DateTimeOffset.FromUnixTimeMilliseconds(g.BeforeWallUnixMs)))],
        null);

    public static RecoveryPlanReply Plan(string prefix, RestorePlanResult result) => result.Plan is { } plan
        ? new RecoveryPlanReply(prefix, new PlanInfo(plan.Timeline, plan.BaseBackup.Id, plan.BaseBackup.ReplayAfter.ToString(),
            [.. plan.Components.Select(c => c.Component)], plan.Components.Sum(c => c.Chunks.Count), plan.BytesToRead), null, null)
        : new RecoveryPlanReply(prefix, null, new RefusalInfo(result.Refusal!.Reason.ToString(), result.Refusal.Message, result.Refusal.EarliestRecoverable, result.Refusal.LatestRecoverable), null);
}
