using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Oplog;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary><c>latest</c> and <c>immediate</c> become exact <c>ts</c> targets, read from the catalog.</summary>
    private RestoreTarget Resolve(RepositoryCatalog catalog, RestoreTarget to)
    {
        if (to.Kind is RestoreTargetKind.Time or RestoreTargetKind.Ts)
        {
            return to;
        }

        var timeline = catalog.Timelines
            .Where(t => (_options.Timeline is null || t.Timeline == _options.Timeline) && t.SucceededBackups.Count > 0)
            .MaxBy(t => t.Timeline)
            ?? throw new RestoreRefusedException($"Cannot restore to {to}: the repository has no successful full backup.")
            {
                Refusal = new PlanRefusal(RefusalReason.NoBackup, "The repository has no successful full backup."),
            };
        if (to.Kind == RestoreTargetKind.Immediate)
        {
            if (to.Exclusive)
            {
                throw new RestoreRefusedException("'immediate' is a backup's consistent point: the data is not consistent just before it, so it cannot be exclusive.");
            }

            return RestoreTarget.AtTs(timeline.SucceededBackups.MaxBy(b => b.ConsistentAt)!.ConsistentAt);
        }

        return RestoreTarget.AtTs(timeline.MergedWindows()[^1].ToTs, to.Exclusive);
    }

    /// <summary>The catalog plans in milliseconds and inclusively: the newest millisecond (or ts) the target includes.</summary>
    private static RecoveryTarget ToCatalogTarget(RestoreTarget target)
    {
        if (target.Kind == RestoreTargetKind.Time)
        {
            var micros = target.TimeUnixMicroseconds!.Value - (target.Exclusive ? 1 : 0);
            return RecoveryTarget.AtTime(DateTimeOffset.FromUnixTimeMilliseconds(Math.DivRem(micros, 1000, out var rest) - (rest < 0 ? 1 : 0)));
        }

        var ts = target.Ts!.Value;
        return RecoveryTarget.AtTs(target.Exclusive && !ts.IsZero ? OplogTimestamp.FromValue(ts.Value - 1) : ts);
    }

    /// <summary>
    /// The chain chunks from the backup's T0 to the target. The catalog proved the window from T1; the data also
    /// needs (T0, T1], so the run must reach back to T0 as well.
    /// </summary>
    private List<ChunkDescriptor> ChunksToReplay(ComponentHistory history, BackupManifest backup, RestoreTarget target)
    {
        var after = backup.ReplayAfter;
        var runIndex = history.FindRunCovering(after);
        if (runIndex < 0 || history.Runs[runIndex].End < backup.ConsistentAt)
        {
            if (after == backup.ConsistentAt && history.FindRunCovering(after) < 0)
            {
                return [];
            }

            throw new RestoreRefusedException(
                $"Backup {backup.Id} needs the oplog after {after} (T0) up to {backup.ConsistentAt} (T1), and the archive does not hold it continuously.")
            {
                Refusal = new PlanRefusal(RefusalReason.InsideGap, $"The oplog between the backup's T0 {after} and T1 {backup.ConsistentAt} is not archived continuously."),
            };
        }

        var run = history.Runs[runIndex];
        var chunks = new List<ChunkDescriptor>();
        for (var i = history.FirstChainIndexAfter(after, run); i < run.ChainEnd; i++)
        {
            var chunk = history.ChainChunk(i);
            if (chunk.First > backup.ConsistentAt && target.IsPast(new OplogEntry(chunk.First, chunk.FirstWallUnixMs, ReadOnlyMemory<byte>.Empty)))
            {
                break;
            }

            chunks.Add(new ChunkDescriptor(layout.ChunkKey(history.Component, history.Timeline, chunk), history.Component, history.Timeline, chunk));
        }

        return chunks;
    }
}
