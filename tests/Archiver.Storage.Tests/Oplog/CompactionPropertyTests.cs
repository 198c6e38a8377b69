using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;
using CsCheck;

namespace Archiver.Storage.Tests.Oplog;

/// <summary>
/// Compaction against random histories (chunks of random sizes, ranges written twice as a restarted archiver does,
/// a gap, several backups): restores at random targets replay exactly the same entries before and after, a restore
/// running while compaction runs included, and a compaction killed after any of its writes loses and doubles nothing.
/// </summary>
public sealed class CompactionPropertyTests
{
    private static readonly RepositoryLayout Layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    private static readonly Gen<Scenario> GenScenario =
        from count in Gen.Int[150, 500]
        from cuts in Gen.Int[1, 25].Array[count / 2]
        from rewrites in Gen.Int[0, count - 1].Array[0, 4]
        from gapAt in Gen.Int[30, count - 30]
        from gapLength in Gen.Int[0, 6]
        from backups in Gen.Int[0, count - 1].Array[1, 4]
        from targets in Gen.Int[0, count - 1].Array[3, 6]
        from target in Gen.Int[2_000, 30_000]
        from frame in Gen.Int[300, 6_000]
        from mergeUpTo in Gen.Int[count / 3, count - 1]
        from seed in Gen.Int
        select new Scenario(count, cuts, rewrites, gapAt, gapLength, backups.Distinct().ToArray(), targets, new CompactionLimits { TargetObjectBytes = target, FrameContentBytes = frame }, mergeUpTo, seed);

    [Fact]
    public void Restores_at_random_targets_replay_the_same_entries_after_compaction_even_with_one_reading_while_it_runs()
    {
        GenScenario.Sample(async scenario =>
        {
            using var folder = new TempFolder();
            var store = new LocalFolderStore(folder.Path);
            var entries = await scenario.WriteAsync(store);
            var before = await RepositoryCatalog.LoadAsync(store, Layout);
            var expected = new List<List<(OplogTimestamp, string)>?>();
            foreach (var target in scenario.Targets)
            {
                expected.Add(await ReplayAsync(store, before, entries[target].Ts));
            }

            // A restore planned before, reading slowly while compaction merges and removes under it; it holds a lease.
            var reading = scenario.Targets.Select((t, i) => (t, i)).FirstOrDefault(x => expected[x.i] is not null);
            var during = Task.FromResult<List<(OplogTimestamp, string)>?>(null);
            var lease = await RestoreLease.HoldAsync(store, [Layout.Prefix], "restore-during", TimeProvider.System);
            if (expected.Any(e => e is not null))
            {
                during = ReplayAsync(store, before, entries[reading.t].Ts, slowly: true);
            }

            var now = DateTimeOffset.UtcNow.AddSeconds(1);
            var settings = new CompactionSettings { OlderThan = now - DateTimeOffset.FromUnixTimeMilliseconds(entries[scenario.MergeUpTo].WallUnixMs), RemoveAfter = TimeSpan.Zero, Limits = scenario.Limits };
            var whileReading = await OplogCompaction.RunAsync(store, Layout, settings, now);
            Assert.Empty(whileReading.Removed);
            if (expected.Any(e => e is not null))
            {
                Assert.Equal(expected[reading.i], await during);
            }

            await lease.DisposeAsync();
            await OplogCompaction.RunAsync(store, Layout, settings, now);
            var after = await RepositoryCatalog.LoadAsync(store, Layout);
            Assert.Equal(before.Timeline(1).Windows(), after.Timeline(1).Windows());
            Assert.Equal(before.Timeline(1).Component("rs0").Gaps(), after.Timeline(1).Component("rs0").Gaps());
            for (var i = 0; i < scenario.Targets.Length; i++)
            {
                Assert.Equal(expected[i], await ReplayAsync(store, after, entries[scenario.Targets[i]].Ts));
            }
        }, iter: 25, threads: 1);
    }

    [Fact]
    public void A_compaction_killed_after_any_write_loses_nothing_replays_nothing_twice_and_the_next_run_finishes_it()
    {
        GenScenario.Sample(async scenario =>
        {
            using var folder = new TempFolder();
            // Killed after its 1st write, then (on the same history written again) after its 2nd, ... until a run gets to its end.
            for (var killAfter = 1; ; killAfter++)
            {
                var inner = new LocalFolderStore(Reset(folder.Path));
                var entries = await scenario.WriteAsync(inner);
                var before = await RepositoryCatalog.LoadAsync(inner, Layout);
                var everything = await ReplayAsync(inner, before, OplogTimestamp.Zero, everything: true);

                // A second on: the objects just written are in the past, as they would be for a node's clock.
                var now = DateTimeOffset.UtcNow.AddSeconds(1);
                var settings = new CompactionSettings { OlderThan = now - DateTimeOffset.FromUnixTimeMilliseconds(entries[scenario.MergeUpTo].WallUnixMs), RemoveAfter = TimeSpan.Zero, Limits = scenario.Limits };
                var finishedFirstTime = false;
                try
                {
                    await OplogCompaction.RunAsync(new KillingStore(inner, killAfter), Layout, settings, now);
                    finishedFirstTime = true;
                }
                catch (OperationCanceledException)
                {
                    // The node died here: what it left must replay the same, nothing lost, nothing twice.
                    var left = await RepositoryCatalog.LoadAsync(inner, Layout);
                    Assert.Equal(before.Timeline(1).Windows(), left.Timeline(1).Windows());
                    Assert.Equal(everything, await ReplayAsync(inner, left, OplogTimestamp.Zero, everything: true));

                    // The next run, from its own fresh listing, finishes it.
                    await OplogCompaction.RunAsync(inner, Layout, settings, now);
                }

                var finished = await RepositoryCatalog.LoadAsync(inner, Layout);
                Assert.Empty(ChunkCompactor.Superseded(finished.Timeline(1).Component("rs0")));
                Assert.Equal(before.Timeline(1).Windows(), finished.Timeline(1).Windows());
                Assert.Equal(everything, await ReplayAsync(inner, finished, OplogTimestamp.Zero, everything: true));
                if (finishedFirstTime)
                {
                    break;
                }
            }
        }, iter: 6, threads: 1);
    }

    private static string Reset(string path)
    {
        Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Every entry of every run in the catalog's chain, from its first backup's T0 (<paramref name="everything"/>), or a
    /// restore's replay to <paramref name="at"/>: null if the catalog refuses it.
    /// </summary>
    private static async Task<List<(OplogTimestamp, string)>?> ReplayAsync(IObjectStore store, RepositoryCatalog catalog, OplogTimestamp at, bool everything = false, bool slowly = false)
    {
        var replayed = new List<(OplogTimestamp, string)>();
        if (everything)
        {
            var history = catalog.Timeline(1).Component("rs0");
            foreach (var run in history.Runs)
            {
                var keys = Enumerable.Range(run.ChainStart, run.ChainEnd - run.ChainStart).Select(i => Layout.ChunkKey("rs0", 1, history.ChainChunk(i))).ToList();
                await foreach (var entry in OplogReplay.ReadAsync(store, keys, run.From, _ => false))
                {
                    replayed.Add((entry.Ts, Convert.ToBase64String(entry.Document.Span)));
                }
            }

            return replayed;
        }

        var target = RecoveryTarget.AtTs(at);
        if (catalog.PlanRestore(target, DateTimeOffset.UtcNow).Plan is not { } plan)
        {
            return null;
        }

        await foreach (var entry in OplogReplay.ReadAsync(store, [.. plan.Components.Single().Chunks.Select(c => c.Key)], plan.BaseBackup.ConsistentAt, target.IsPast))
        {
            replayed.Add((entry.Ts, Convert.ToBase64String(entry.Document.Span)));
            if (slowly)
            {
                await Task.Delay(1);
            }
        }

        return replayed;
    }

    private sealed record Scenario(
        int Count, int[] Cuts, int[] Rewrites, int GapAt, int GapLength, int[] Backups, int[] Targets, CompactionLimits Limits, int MergeUpTo, int Seed)
    {
        public async Task<List<OplogEntry>> WriteAsync(IObjectStore store)
        {
            var entries = SampleOplog.Entries(1_000, Count, perSecond: 3, seed: Seed);
            var archived = entries.Where((_, i) => i < GapAt || i >= GapAt + GapLength).ToList();
            var writer = new OplogChunkWriter(store, Layout, "rs0", 1, OplogTimestamp.Zero);
            var cut = 0;
            var inChunk = 0;
            for (var i = 0; i < archived.Count; i++)
            {
                // After the gap the archiver starts again from the first entry it can read: it knows no entry before it.
                if (GapLength > 0 && i > 0 && archived[i - 1].Ts < entries[GapAt].Ts && archived[i].Ts > entries[GapAt].Ts)
                {
                    await writer.PublishAsync();
                    writer.Dispose();
                    writer = new OplogChunkWriter(store, Layout, "rs0", 1, OplogTimestamp.Zero);
                    inChunk = 0;
                }

                writer.Append(archived[i]);
                if (++inChunk >= Cuts[cut % Cuts.Length])
                {
                    await writer.PublishAsync();
                    cut++;
                    inChunk = 0;
                }
            }

            await writer.PublishAsync();
            writer.Dispose();

            // A restarted archiver writes again from its last published entry: ranges that overlap what is there.
            foreach (var from in Rewrites.Where(r => r < GapAt || r >= GapAt + GapLength))
            {
                var start = archived.FindIndex(e => e.Ts >= entries[from].Ts);
                using var again = new OplogChunkWriter(store, Layout, "rs0", 1, start == 0 ? OplogTimestamp.Zero : archived[start - 1].Ts);
                foreach (var entry in archived.Skip(start).TakeWhile(e => e.Ts.Seconds < entries[from].Ts.Seconds + 4 && (e.Ts < entries[GapAt].Ts == entries[from].Ts < entries[GapAt].Ts)))
                {
                    again.Append(entry);
                }

                await again.PublishAsync();
            }

            foreach (var at in Backups.Select(b => entries[b]).Where(e => archived.Contains(e)))
            {
                var when = DateTimeOffset.FromUnixTimeMilliseconds(at.WallUnixMs);
                var backup = new FullBackupWriter(store, Layout, new BackupStart("mongodump", ["rs0"], 1, when));
                await backup.CompleteAsync(at.Ts, at.WallUnixMs, when);
            }

            return entries;
        }
    }

    /// <summary>A store whose node dies (every call from then on cancelled) once it has written or deleted <c>n</c> objects.</summary>
    private sealed class KillingStore(IObjectStore inner, int n) : IObjectStore
    {
        private int _writes;

        public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            Alive();
            await inner.PutAsync(key, content, cancellationToken);
            Wrote();
        }

        public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            Alive();
            var put = await inner.PutIfAbsentAsync(key, content, cancellationToken);
            Wrote();
            return put;
        }

        public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            Alive();
            return inner.GetAsync(key, cancellationToken);
        }

        public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
        {
            Alive();
            return inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);
        }

        public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
        {
            Alive();
            await inner.DeleteAsync(key, cancellationToken);
            Wrote();
        }

        private void Wrote() => _writes++;

        private void Alive()
        {
            if (_writes >= n)
            {
                throw new OperationCanceledException("the node was killed");
            }
        }
    }
}
