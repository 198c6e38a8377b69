using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Retention;

/// <summary>
/// Computes what retention keeps, over backups and oplog together. Chunks are deleted only when no kept backup's
/// window needs them; a backup that starts the chain of kept chunks is always kept; chunks younger than the
/// retention period and chunks after an open timeline's newest successful backup (the live edge) are never deleted.
/// A timeline branched by a restore is recoverable across its branch point from its parent's backup: that backup
/// counts as a backup of the branch too (it starts the branch's chain inside the period, and while it is kept the
/// branch's oplog from where its restore ended stays).
/// </summary>
public static class RetentionPlanner
{
    public static RetentionPlan Plan(RepositoryCatalog catalog, RetentionRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(rules);
        rules.Validate();
        var reasons = new Dictionary<BackupManifest, List<RetentionReason>>(ReferenceEqualityComparer.Instance);
        var backups = catalog.Timelines.SelectMany(t => t.Backups).ToList();
        var newestFirst = backups.OrderByDescending(b => b.FinishedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
        foreach (var backup in newestFirst.Where(b => b.Status == BackupStatus.Succeeded).Take(rules.KeepLastSucceeded))
        {
            Keep(reasons, backup, RetentionReason.LastSucceeded);
        }

        foreach (var backup in newestFirst.Where(b => b.Status == BackupStatus.Failed).Take(rules.KeepLastFailed))
        {
            Keep(reasons, backup, RetentionReason.LastFailed);
        }

        var cutoff = rules.MaxRetentionPeriod is { } period ? now - period : DateTimeOffset.MaxValue;
        foreach (var backup in backups.Where(b => b.FinishedAt >= cutoff))
        {
            Keep(reasons, backup, RetentionReason.YoungerThanRetentionPeriod);
        }

        var cutoffMs = cutoff == DateTimeOffset.MaxValue ? long.MaxValue : cutoff.ToUnixTimeMilliseconds();
        foreach (var timeline in catalog.Timelines)
        {
            ProtectChains(timeline, cutoffMs, reasons);
        }

        // Where a branch inherits a window, the parent's backup is the base of every target on it up to the branch's own
        // first backup: within the period it is kept as the branch's chain start; a backup under another prefix is not
        // this retention's to delete, so the branch's oplog it needs is kept as long as that prefix holds it.
        var inheritedFrom = new Dictionary<uint, OplogTimestamp>();
        foreach (var timeline in catalog.Timelines)
        {
            if (catalog.Inheritance(timeline.Timeline) is not { } inherited)
            {
                continue;
            }

            var own = catalog.Layout.Prefix == inherited.Prefix;
            if (own && inherited.Run.EndWallUnixMs >= cutoffMs && !timeline.SucceededBackups.Any(b => b.ConsistentWallUnixMs <= cutoffMs && b.ConsistentAt > inherited.Run.From && b.ConsistentAt <= inherited.Run.End))
            {
                Keep(reasons, inherited.Backup, RetentionReason.StartsAKeptChain);
            }

            if (!own || reasons.ContainsKey(inherited.Backup))
            {
                inheritedFrom[timeline.Timeline] = timeline.Record!.ArchiveAfter!.Value;
            }
        }

        var closed = catalog.Timelines.Select(t => t.Record).Where(r => r is { Parent: not null, ParentPrefix: null }).Select(r => r!.Parent!.Value).ToHashSet();
        var chunksToDelete = new List<ChunkDescriptor>();
        foreach (var timeline in catalog.Timelines)
        {
            CollectDeletableChunks(timeline, closed, inheritedFrom.TryGetValue(timeline.Timeline, out var from) ? from : null, reasons, cutoffMs, chunksToDelete);
        }

        return new RetentionPlan(
            catalog.Layout,
            [.. newestFirst.Where(reasons.ContainsKey).Select(b => new KeptBackup(b, reasons[b]))],
            [.. newestFirst.Where(b => !reasons.ContainsKey(b))],
            chunksToDelete,
            [.. catalog.IncompleteBackups.Where(b => b.LastModified < now - rules.IncompleteBackupGrace)]);
    }

    private static void Keep(Dictionary<BackupManifest, List<RetentionReason>> reasons, BackupManifest backup, RetentionReason reason)
    {
        if (!reasons.TryGetValue(backup, out var list))
        {
            reasons[backup] = list = [];
        }

        if (!list.Contains(reason))
        {
            list.Add(reason);
        }
    }

    // For every run reaching into the retention period, keep the newest successful backup at or before the
    // period's start: it is the base for every target from the cutoff until the next (young, kept) backup.
    private static void ProtectChains(TimelineCatalog timeline, long cutoffMs, Dictionary<BackupManifest, List<RetentionReason>> reasons)
    {
        foreach (var (component, history) in timeline.Components)
        {
            var runs = history.Runs;
            for (var r = 0; r < runs.Count; r++)
            {
                if (runs[r].EndWallUnixMs < cutoffMs)
                {
                    continue;
                }

                var chainStart = timeline.SucceededBackups
                    .Where(b => b.Components.Contains(component) && b.ConsistentWallUnixMs <= cutoffMs && history.FindRunCovering(b.ReplayAfter) == r)
                    .LastOrDefault();
                if (chainStart is not null)
                {
                    Keep(reasons, chainStart, RetentionReason.StartsAKeptChain);
                }
            }
        }
    }

    private static void CollectDeletableChunks(
        TimelineCatalog timeline,
        IReadOnlySet<uint> closed,
        OplogTimestamp? inheritedFrom,
        Dictionary<BackupManifest, List<RetentionReason>> reasons,
        long cutoffMs,
        List<ChunkDescriptor> chunksToDelete)
    {
        var kept = timeline.SucceededBackups.Where(reasons.ContainsKey).ToList();
        // A timeline another one branched from here is closed: its database was replaced by a restore, so nothing
        // more comes after its last backup, and what is past it is kept only while a kept backup needs it.
        var liveEdge = closed.Contains(timeline.Timeline) ? OplogTimestamp.FromValue(ulong.MaxValue)
            : timeline.SucceededBackups.Count > 0 ? timeline.SucceededBackups[^1].ConsistentAt : OplogTimestamp.Zero;
        foreach (var (component, history) in timeline.Components)
        {
            var runs = history.Runs;

            // Kept windows in one run all end at the run's end, so the oldest kept consistent point per run decides.
            var neededAfter = new OplogTimestamp?[runs.Count];
            // A backup taken while writes went on needs the oplog from its T0, not only from its consistent point; a
            // kept parent backup the branch inherits its window from needs the branch's oplog from where its restore ended.
            var needs = kept.Where(b => b.Components.Contains(component)).Select(b => b.ReplayAfter);
            foreach (var after in inheritedFrom is { } from ? needs.Append(from) : needs)
            {
                var r = history.FindRunCovering(after);
                if (r >= 0 && (neededAfter[r] is not { } current || after < current))
                {
                    neededAfter[r] = after;
                }
            }

            foreach (var chunk in history.AllChunks())
            {
                var r = RunOf(runs, chunk.Last);
                var needed = neededAfter[r] is { } after && chunk.Last > after;
                var young = chunk.LastWallUnixMs >= cutoffMs;
                var liveEdgeChunk = chunk.Last > liveEdge;
                if (!needed && !young && !liveEdgeChunk)
                {
                    chunksToDelete.Add(new ChunkDescriptor(timeline.Layout.ChunkKey(component, timeline.Timeline, chunk), component, timeline.Timeline, chunk));
                }
            }
        }
    }

    private static int RunOf(IReadOnlyList<OplogRun> runs, OplogTimestamp last)
    {
        // The first run whose end is at or after the chunk's last entry: every chunk lies within exactly one run.
        int lo = 0, hi = runs.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (runs[mid].End < last)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
