using Archiver.Storage;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// Replays the chain after T0: each entry exactly once (overlapping chunks are skipped past), refusing to jump
    /// a gap, and stopping at the first entry past the target. Entries up to T1 are always applied: without them
    /// the dump is not consistent, and the catalog only planned targets at or after T1.
    /// </summary>
    private async Task<(OplogTimestamp Ts, long Wall, OplogApplier Applier)> ReplayAsync(
        RestoreWork work, NamespaceRules rules, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        tracker.Report(RestorePhase.ReplayingOplog);
        var backup = work.Backup;
        var applier = new OplogApplier(rules, RunCommandAsync, _options.BatchSize, backup.ConsistentAt);
        var last = backup.ReplayAfter;
        var (reached, reachedWall) = (backup.ConsistentAt, backup.ConsistentWallUnixMs);
        var keys = work.Chunks.Select(c => c.Key).ToList();
        var stopped = false;
        await foreach (var chunk in ChunkReadAhead.ReadAsync(store, keys, _options.ReadAhead, cancellationToken))
        {
            if (!chunk.Header.Previous.IsZero && chunk.Header.Previous > last)
            {
                throw new StorageException($"Chunk '{chunk.Key}' starts after {chunk.Header.Previous} but the replay only reached {last}: the chain has a gap.");
            }

            foreach (var entry in chunk.Entries)
            {
                if (entry.Ts <= last)
                {
                    continue;
                }

                if (entry.Ts > backup.ConsistentAt && work.Target.IsPast(entry))
                {
                    stopped = true;
                    break;
                }

                await applier.ApplyAsync(entry, cancellationToken);
                last = entry.Ts;
                if (entry.Ts >= reached)
                {
                    (reached, reachedWall) = (entry.Ts, entry.WallUnixMs);
                }
            }

            await applier.FlushAsync(cancellationToken);
            tracker.AddEntries(chunk.Entries.Count);
            tracker.AddBytes(chunk.Header.PayloadLength);
            tracker.Report();
            if (stopped)
            {
                break;
            }
        }

        await applier.FlushAsync(cancellationToken);
        if (last < backup.ConsistentAt)
        {
            throw new StorageException($"The replay reached only {last}, before the backup's consistent point {backup.ConsistentAt}: the archived oplog is incomplete.");
        }

        return (reached, reachedWall, applier);
    }
}
