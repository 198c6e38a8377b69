using Archiver.Storage.Backends;
using Archiver.Storage;
using Archiver.Storage.Oplog;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// Replays the plan's segments in order: the base backup's timeline after its T0, then, for a target on a
    /// timeline branched by a restore, that timeline's own oplog. Each entry exactly once (overlapping chunks are
    /// skipped past), refusing to jump a gap, stopping a segment that ends at a branch point after its last entry,
    /// and the last one at the first entry past the target. Entries up to T1 are always applied: without them the
    /// dump is not consistent, and the catalog only planned targets at or after T1.
    /// </summary>
    /// <param name="chunkStore">Where the chunks are read: the restore's spool, which has those its check kept.</param>
    /// <param name="resumed">A stopped restore is taken up: it may have replayed some entries before its first checkpoint.</param>
    /// <param name="resumeAt">Its last checkpoint, if it wrote one.</param>
    private async Task<ReplayResult> ReplayAsync(RestoreWork work, IObjectStore chunkStore, NamespaceRules rules, ProgressTracker tracker, bool resumed, RestoreCheckpoint? resumeAt, CancellationToken cancellationToken)
    {
        tracker.Report(RestorePhase.ReplayingOplog);
        var backup = work.Backup;
        var result = new ReplayResult { Reached = backup.ConsistentAt, ReachedWall = backup.ConsistentWallUnixMs };
        if (resumeAt is not null)
        {
            result = result with { EntriesApplied = resumeAt.EntriesApplied };
        }

        for (var index = resumeAt?.Segment ?? 0; index < work.Plan.Segments.Count; index++)
        {
            var segment = work.Plan.Segments[index];
            var first = index == 0;

            // A transaction still open when a segment ends at its branch point was not committed there: the restore that
            // made the branch left it out as well. So each segment has its applier, and its open transactions end with it.
            var applier = new OplogApplier(rules, RunCommandAsync, _options.BatchSize, first ? backup.ConsistentAt : OplogTimestamp.Zero, _options.ReplayWriters);
            var appliedBefore = result.EntriesApplied;
            var segmentIndex = index;
            applier.Checkpoint = () => RestoreMarker.CheckpointOp(
                _options.RestoreId,
                new RestoreCheckpoint(segmentIndex, applier.Done, applier.DoneWallUnixMs, applier.ReadFrom, appliedBefore + applier.EntriesApplied));
            var last = segment.After;
            if (!first)
            {
                // Nothing of this timeline applied yet: the restore stands at its start.
                result = result with { Reached = segment.After };
            }

            // Resumed in this segment: chunks wholly before the checkpoint's readFrom are not read again, and entries up to
            // its appliedTo only keep open transactions whole.
            var checkpoint = resumeAt is { } at && at.Segment == index ? at : null;
            var chunks = segment.Chunks;
            if (resumed)
            {
                // A segment the stopped run had no checkpoint in (it stopped before its first, or went on into the next
                // segment before it stopped) may be applied in part too: it is gone over as from a checkpoint at its start.
                applier.ResumeAt(checkpoint ?? new RestoreCheckpoint(index, OplogTimestamp.Zero, 0, OplogTimestamp.Zero, 0));
            }

            if (checkpoint is not null)
            {
                if (checkpoint.AppliedTo > result.Reached)
                {
                    result = result with { Reached = checkpoint.AppliedTo, ReachedWall = checkpoint.AppliedWallUnixMs };
                }

                var passed = chunks.TakeWhile(c => c.Range.Last < checkpoint.ReadFrom).ToList();
                if (passed.Count > 0)
                {
                    last = passed[^1].Range.Last > last ? passed[^1].Range.Last : last;
                    tracker.AddEntries(passed.Sum(c => (long)c.Range.EntryCount));
                    tracker.AddBytes(passed.Sum(c => c.Range.SizeBytes));
                }

                chunks = [.. chunks.Skip(passed.Count)];
            }

            var stopped = false;
            // A sharded cluster's replica set resolves its prepared transactions by their commit time (the last segment only).
            var resolveUpTo = _options.ResolvePreparedTransactions && index == work.Plan.Segments.Count - 1 ? work.Target.LastTs : null;
            await foreach (var chunk in ChunkReadAhead.ReadAsync(chunkStore, [.. chunks.Select(c => c.Key)], _options.ReadAhead, cancellationToken))
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

                    if (checkpoint is not null && entry.Ts <= checkpoint.AppliedTo)
                    {
                        if (entry.Ts >= checkpoint.ReadFrom)
                        {
                            applier.Collect(entry);
                        }

                        last = entry.Ts;
                        continue;
                    }

                    if (segment.Until is { } until ? entry.Ts > until : (!first || entry.Ts > backup.ConsistentAt) && work.Target.IsPast(entry))
                    {
                        stopped = true;
                        if (resolveUpTo is not { } targetTs || applier.PreparedOpen == 0)
                        {
                            break;
                        }

                        // Past the target: only the ends of prepared transactions still open are read (see ResolvePreparedAsync).
                        await applier.ResolvePreparedAsync(entry, targetTs, cancellationToken);
                        if (applier.PreparedOpen == 0)
                        {
                            break;
                        }

                        continue;
                    }

                    await applier.ApplyAsync(entry, cancellationToken);
                    last = entry.Ts;
                    if (entry.Ts >= result.Reached)
                    {
                        result = result with { Reached = entry.Ts, ReachedWall = entry.WallUnixMs };
                    }
                }

                // A checkpoint once a batch's worth of entries went by since the last (a full batch writes one anyway), not
                // at every chunk end: chunks cut by age hold a few hundred entries, and flushing each made the batches that
                // small, each its own command and marker update (an archive of 200 ms chunks: ~110 commands instead of ~25
                // for 22,600 entries). A resumed replay reads those chunks again (RestoreResumeTests stops at every command).
                if (applier.SinceCheckpoint >= _options.BatchSize)
                {
                    await applier.CheckpointAsync(cancellationToken);
                }

                tracker.AddEntries(chunk.Entries.Count);
                tracker.AddBytes(chunk.Header.PayloadLength);
                tracker.Report();
                if (stopped && (resolveUpTo is null || applier.PreparedOpen == 0))
                {
                    break;
                }
            }

            if (resolveUpTo is not null && stopped && applier.PreparedOpen > 0)
            {
                throw new RestoreRefusedException(
                    $"{applier.PreparedOpen} transaction(s) prepared at or before the target {work.Target} have no commit or abort in the archived oplog of {segment.Component} read after it: "
                    + "whether they were committed at the target is not known yet; wait for the archive to reach their end or choose an earlier target");
            }

            // The end of the segment is checkpointed whatever went by since the last: a stop in the next one never reads this one again.
            await applier.CheckpointAsync(cancellationToken);
            await applier.FinishAsync(cancellationToken);
            // Incomplete only if the chunks ran out before T1. A replay that stopped read an entry past T1, so the oplog
            // covered T1 even though this replica set wrote nothing at T1 itself: a sharded cluster's T1 is one replica
            // set's newest entry, and the others' oplogs pass it only with a later one (ShardedLogicalBackup).
            if (first && last < backup.ConsistentAt && !stopped)
            {
                throw new StorageException($"The replay reached only {last}, before the backup's consistent point {backup.ConsistentAt}: the archived oplog is incomplete.");
            }

            if (segment.Until is { } end && last < end)
            {
                throw new StorageException($"The replay of timeline {segment.Timeline} reached only {last}, before its branch point {end}: the archived oplog is incomplete.");
            }

            result = result with
            {
                EntriesApplied = result.EntriesApplied + applier.EntriesApplied,
                TransactionsApplied = result.TransactionsApplied + applier.TransactionsApplied,
                OpenTransactions = result.OpenTransactions + (index == work.Plan.Segments.Count - 1 ? applier.OpenTransactions : 0),
            };
        }

        return result;
    }

    /// <summary>Where a replay stopped (the last entry applied, on the last segment's timeline) and what it applied.</summary>
    private sealed record ReplayResult
    {
        public OplogTimestamp Reached { get; init; }

        public long ReachedWall { get; init; }

        public long EntriesApplied { get; init; }

        public long TransactionsApplied { get; init; }

        public long OpenTransactions { get; init; }
    }
}
