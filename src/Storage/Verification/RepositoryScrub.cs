using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Oplog;
using Archiver.Storage.VolumeSnapshots;

namespace Archiver.Storage.Verification;

/// <summary>
/// Reads everything a catalog lists under its prefix and verifies it: every oplog chunk (decoded whole, so its
/// CRC-32C, compression and index are checked, and linked to the chain chunk before it in its run) and every
/// successful backup's files against the SHA-256 and size in its manifest, and a volume-snapshot backup's
/// VolumeSnapshots against the cluster. Streaming: a few chunks and one file
/// buffer in memory at a time. Each problem names the object and the recoverable windows it breaks. A parent
/// prefix a restored database's history continues is scrubbed as its own repository.
/// </summary>
/// <param name="snapshots">
/// Where a volume-snapshot backup's data lives (a cluster): each such backup's VolumeSnapshots must still exist and be
/// ready to use. Null where none can be read (the embedded node): those backups are then checked for their manifest only.
/// </param>
/// <param name="retentionGrace">How long a backup whose snapshot is gone is given for retention to delete its manifest too (default <see cref="DefaultRetentionGrace"/>).</param>
public sealed class RepositoryScrub(IObjectStore store, RepositoryCatalog catalog, int readAhead = 2, TimeProvider? time = null, IVolumeSnapshotter? snapshots = null, TimeSpan? retentionGrace = null)
{
    public static readonly TimeSpan DefaultRetentionGrace = TimeSpan.FromSeconds(30);

    public async Task<ScrubResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<ScrubProblem>();
        var chunks = 0;
        var files = 0;
        var bytes = 0L;
        var vanished = 0;
        var brokenChunks = new Dictionary<string, ChunkToCheck>(StringComparer.Ordinal);
        foreach (var timeline in catalog.Timelines)
        {
            foreach (var history in timeline.Components.Values)
            {
                var toCheck = ChunksOf(history);
                var checkedChunks = await ChunkChainCheck.RunAsync(store, toCheck, readAhead, cancellationToken);
                chunks += checkedChunks.Checked;
                bytes += checkedChunks.Bytes;
                foreach (var problem in checkedChunks.Problems)
                {
                    // Deleted since the listing (retention, compaction): the next listing shows what is left.
                    if (problem.Kind == ScrubProblemKind.Missing)
                    {
                        vanished++;
                        continue;
                    }

                    var item = toCheck.First(c => c.Chunk.Key == problem.Key);
                    brokenChunks[problem.Key] = item;
                    problems.Add(problem with { Breaks = BrokenBy(timeline, history, item) });
                }
            }

            foreach (var backup in timeline.SucceededBackups)
            {
                var (read, readBytes, problem, gone) = await CheckBackupAsync(backup, cancellationToken);
                files += read;
                bytes += readBytes;
                vanished += gone ? 1 : 0;
                if (problem is not null)
                {
                    var window = timeline.WindowOf(backup);
                    problems.Add(problem with { Breaks = window.Restorable ? [new BrokenWindow(window, window.From)] : [], BackupId = backup.Id });
                }
            }
        }

        return new ScrubResult(catalog.Layout.Prefix, chunks, files, bytes, vanished, WithInheritedBreaks(problems, brokenChunks));
    }

    /// <summary>
    /// A timeline branched by a restore has a window from its branch point before any backup of its own (see
    /// <see cref="RepositoryCatalog.InheritedWindow"/>), restored from its parent's backup: a broken chunk of the
    /// parent before the branch breaks all of it, one of the branch's own oplog breaks it from that chunk on. Which
    /// chunks it needs is what a restore to its end would read: the plan says.
    /// </summary>
    private List<ScrubProblem> WithInheritedBreaks(List<ScrubProblem> problems, Dictionary<string, ChunkToCheck> brokenChunks)
    {
        if (brokenChunks.Count == 0)
        {
            return problems;
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        foreach (var timeline in catalog.Timelines)
        {
            if (catalog.InheritedWindow(timeline.Timeline) is not { } window
                || catalog.PlanRestore(RecoveryTarget.AtTs(window.ToTs), now, timeline.Timeline).Plan is not { } plan)
            {
                continue;
            }

            var needed = plan.Segments.SelectMany(s => s.Chunks).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < problems.Count; i++)
            {
                if (brokenChunks.TryGetValue(problems[i].Key, out var chunk) && needed.Contains(chunk.Chunk.Key))
                {
                    var from = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(window.FromWallUnixMs, chunk.Chunk.Range.FirstWallUnixMs));
                    problems[i] = problems[i] with { Breaks = [.. problems[i].Breaks, new BrokenWindow(window, from)] };
                }
            }
        }

        return problems;
    }

    /// <summary>The chain of every run in replay order, each linked to the one before it, then the duplicates the chain skips.</summary>
    private List<ChunkToCheck> ChunksOf(ComponentHistory history)
    {
        var list = new List<ChunkToCheck>(history.ChunkCount);
        var chained = new HashSet<ChunkRange>();
        foreach (var run in history.Runs)
        {
            ChunkDescriptor? before = null;
            for (var i = run.ChainStart; i < run.ChainEnd; i++)
            {
                var range = history.ChainChunk(i);
                chained.Add(range);
                var chunk = Describe(history, range);
                list.Add(new ChunkToCheck(chunk, before));
                before = chunk;
            }
        }

        foreach (var range in history.AllChunks())
        {
            if (!chained.Contains(range))
            {
                list.Add(new ChunkToCheck(Describe(history, range), null));
            }
        }

        return list;
    }

    private ChunkDescriptor Describe(ComponentHistory history, in ChunkRange range) =>
        new(catalog.Layout.ChunkKey(history.Component, history.Timeline, range), history.Component, history.Timeline, range);

    /// <summary>
    /// The windows whose restores read the chunk: those of the timeline's backups of its component whose replay
    /// starts inside the chunk's run and before the chunk's last entry. A duplicate the chain skips breaks none.
    /// </summary>
    private static List<BrokenWindow> BrokenBy(TimelineCatalog timeline, ComponentHistory history, ChunkToCheck item)
    {
        var range = item.Chunk.Range;
        var breaks = new List<BrokenWindow>();
        var run = history.FindRunCovering(range.Last);
        if (run < 0 || !IsChained(history, history.Runs[run], range))
        {
            return breaks;
        }

        foreach (var backup in timeline.SucceededBackups)
        {
            if (!backup.Components.Contains(history.Component) || history.FindRunCovering(backup.ReplayAfter) != run || range.Last <= backup.ReplayAfter)
            {
                continue;
            }

            var window = timeline.WindowOf(backup);
            if (window.Restorable)
            {
                var from = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(window.FromWallUnixMs, range.FirstWallUnixMs));
                breaks.Add(new BrokenWindow(window, from));
            }
        }

        return breaks;
    }

    private static bool IsChained(ComponentHistory history, OplogRun run, in ChunkRange range)
    {
        for (var i = run.ChainStart; i < run.ChainEnd; i++)
        {
            if (history.ChainChunk(i) == range)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Streams each file through the manifest's size and SHA-256 check; the first broken file names the backup's problem.</summary>
    private async Task<(int Files, long Bytes, ScrubProblem? Problem, bool Vanished)> CheckBackupAsync(BackupManifest backup, CancellationToken cancellationToken)
    {
        var reader = new FullBackupReader(store, catalog.Layout);
        var files = 0;
        var bytes = 0L;
        foreach (var volume in snapshots is null ? [] : backup.VolumeSnapshots)
        {
            var state = await snapshots!.StateOfAsync(volume.Namespace, volume.Name, cancellationToken);
            if (state.Problem is not { } reason) continue;

            // Retention deletes a backup's snapshots first, then its manifest (DatabaseActor.RunRetention): a snapshot
            // gone while its manifest stays a little longer is a backup going, not a broken one.
            if (!state.Exists && await ManifestGoesAsync(backup.Id, cancellationToken)) return (files, bytes, null, true);
            var kind = state.Exists ? ScrubProblemKind.Unusable : ScrubProblemKind.Missing;
            return (files, bytes, new ScrubProblem($"VolumeSnapshot {volume.Namespace}/{volume.Name}", kind, $"backup {backup.Id}'s data: {reason}", []), false);
        }

        foreach (var file in backup.Files)
        {
            var key = catalog.Layout.BackupFileKey(backup.Id, file.Name);
            try
            {
                await using var stream = await reader.OpenFileAsync(backup, file.Name, cancellationToken);
                await stream.CopyToAsync(Stream.Null, cancellationToken);
                files++;
                bytes += file.StoredSize;
            }
            catch (CorruptObjectException e)
            {
                return (files + 1, bytes, new ScrubProblem(key, ScrubProblemKind.Corrupt, ChunkChainCheck.ReasonOf(key, e), []), false);
            }
            catch (ObjectNotFoundException)
            {
                // Retention deletes a backup's manifest before its files: with the manifest gone, the backup is, too.
                if (!await ExistsAsync(catalog.Layout.BackupManifestKey(backup.Id), cancellationToken))
                {
                    return (files, bytes, null, true);
                }

                return (files + 1, bytes, new ScrubProblem(key, ScrubProblemKind.Missing, $"backup {backup.Id}'s manifest lists it but it is not in the storage", []), false);
            }
        }

        return (files, bytes, null, false);
    }

    /// <summary>Whether the backup's manifest is deleted within the retention grace (looked at every second).</summary>
    private async Task<bool> ManifestGoesAsync(string backupId, CancellationToken cancellationToken)
    {
        var clock = time ?? TimeProvider.System;
        var until = clock.GetUtcNow() + (retentionGrace ?? DefaultRetentionGrace);
        while (await ExistsAsync(catalog.Layout.BackupManifestKey(backupId), cancellationToken))
        {
            if (clock.GetUtcNow() >= until) return false;
            await Task.Delay(TimeSpan.FromSeconds(1), clock, cancellationToken);
        }

        return true;
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        var page = await store.ListAsync(key, null, 1, cancellationToken);
        return page.Objects.Count > 0 && page.Objects[0].Key == key;
    }
}
