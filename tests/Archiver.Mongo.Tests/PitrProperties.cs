using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using CsCheck;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Point-in-time recovery is exact: for random workloads, a random backup point and a random target (an exact
/// ts, a ts excluded, a wall time with microseconds in the same millisecond as other writes, inside a
/// transaction's span), the restored database equals the source as captured at that target; and across a restore
/// that a database continues on a timeline of its own, each lineage restores to exactly itself.
/// </summary>
public sealed class PitrProperties
{
    private static readonly Gen<(int Kind, int Coll, int Key, int Value)> Step = Gen.Select(Gen.Int[0, 11], Gen.Int[0, 2], Gen.Int[0, 12], Gen.Int[0, 50]);

    private static readonly Gen<(int, int)[]> Pick = Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 999]).Array[1];

    /// <summary>
    /// A moment a check restores to: the kind of target (as <see cref="TargetAt"/>; 5 is a time next to the branch
    /// point), at which recorded state, and whether its timeline is asked for.
    /// </summary>
    private static readonly Gen<(int Kind, int Step, int Micros, bool Named)> Moment = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1000], Gen.Int[0, 999], Gen.Bool);

    [Fact]
    public async Task A_restore_to_any_point_after_a_backup_equals_the_source_as_it_was_at_that_point()
    {
        await OnServerAsync(async (_, client) =>
        {
            await Gen.Select(Step.Array[4, 14], Gen.Int[0, 1000], Gen.Int[0, 4], Pick).SampleAsync(
                async t => await CheckAsync(client, t.Item1, t.Item2, t.Item3, t.Item4[0]),
                iter: 16,
                threads: 1);
        });
    }

    /// <summary>
    /// A restore stopped at random moments (the client's commands cut off at the k-th one, as when the node running it
    /// is killed or the connection is lost: the command may or may not reach the server) and run again with the same
    /// id takes up where it stopped, over and over, and the database it finally restores still equals the source at
    /// the target. Small applyOps batches and small chunks put checkpoints everywhere, inside transactions' spans too.
    /// </summary>
    [Fact]
    public async Task A_restore_stopped_at_random_moments_and_run_again_resumes_and_equals_the_source_at_that_point()
    {
        await OnServerAsync(async (uri, client) =>
        {
            await Gen.Select(Step.Array[4, 14], Gen.Int[0, 1000], Gen.Int[0, 4], Pick, Gen.Int[4, 40].Array[1, 4], Gen.Int[1, 3], Gen.Int[100, 1500]).SampleAsync(
                async t => await CheckAsync(client, t.Item1, t.Item2, t.Item3, t.Item4[0], new Stops(uri, t.Item5, t.Item6, t.Item7)),
                iter: 24,
                threads: 1);
            Assert.True(Stops.ResumedCount >= 4, $"only {Stops.ResumedCount} of the restores resumed ({Stops.Story}): the stops came too late to test resuming");
        });
    }

    private static int _compactedAway;
    private static int _multiFrame;

    /// <summary>Everything archived is merged (the limit is now) and what the merged objects hold removed at once.</summary>
    private static async Task CompactAsync(TestRepository repository, CompactionLimits limits)
    {
        var settings = new CompactionSettings { OlderThan = TimeSpan.Zero, RemoveAfter = TimeSpan.Zero, Limits = limits };
        var report = await OplogCompaction.RunAsync(repository.Local, repository.Layout, settings, DateTimeOffset.UtcNow.AddSeconds(1));
        Interlocked.Add(ref _compactedAway, report.Removed.Count);
        using var reader = new OplogChunkReader(repository.Local);
        foreach (var written in report.Written)
        {
            var frames = 0;
            await foreach (var _ in reader.ReadFramesAsync(written.Key)) frames++;
            if (frames > 1) Interlocked.Increment(ref _multiFrame);
        }
    }

    /// <param name="At">Each run before the last is cut off at its k-th command.</param>
    private sealed record Stops(string Uri, int[] At, int BatchSize, int ChunkMaxBytes)
    {
        private static int _resumed;
        private static int _restores;
        private static int _finishedFirst;

        public static string Story => $"{_restores} restores, {_finishedFirst} finished before their stop";

        public void Restoring() => Interlocked.Increment(ref _restores);

        public void FinishedFirst() => Interlocked.Increment(ref _finishedFirst);

        /// <summary>Restores that resumed, over all samples: the property means something only if some did.</summary>
        public static int ResumedCount => Volatile.Read(ref _resumed);

        public void Resumed() => Interlocked.Increment(ref _resumed);
    }

    /// <summary>
    /// The same, from a repository compacted before the restore (merged objects of many small frames, the chunks they
    /// hold removed), and, for a restore stopped part way, compacted again between its runs: the run taken up replays
    /// its plan through what compaction made of it and still equals the source at the target.
    /// </summary>
    [Fact]
    public async Task A_restore_from_a_compacted_repository_equals_the_source_at_that_point_even_when_compacted_between_its_runs()
    {
        await OnServerAsync(async (uri, client) =>
        {
            await Gen.Select(Step.Array[8, 24], Gen.Int[0, 1000], Gen.Int[0, 4], Pick, Gen.Int[4, 40].Array[1, 3], Gen.Int[2_000, 40_000], Gen.Int[200, 2_000]).SampleAsync(
                async t => await CheckAsync(client, t.Item1, t.Item2, t.Item3, t.Item4[0], new Stops(uri, t.Item5, 2, 600), new CompactionLimits { TargetObjectBytes = t.Item6, FrameContentBytes = t.Item7 }),
                iter: 12,
                threads: 1);

            // Meaningful only if chunks were merged away under the restores, into objects of more than one frame.
            Assert.True(Volatile.Read(ref _compactedAway) > 40 && Volatile.Read(ref _multiFrame) > 3, $"{_compactedAway} chunks removed, {_multiFrame} merged objects of several frames");
        });
    }

    /// <summary>
    /// Runs a property against a real server when one is given (ARCHIVER_TEST_MONGODB_URI), else a fresh emulator with
    /// no periodic no-ops and transactions split into entries of two operations (so their spans have insides).
    /// </summary>
    private static async Task OnServerAsync(Func<string, IMongoClient, Task> property)
    {
        await using var emulator = MongoTarget.RealServerUri is null
            ? await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, TransactionEntryMaxOperations = 2 })
            : null;
        var uri = MongoTarget.RealServerUri ?? emulator!.ConnectionString;
        var client = TestClients.Create(uri);
        try
        {
            await property(uri, client);
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    private static async Task CheckAsync(
        IMongoClient client, (int Kind, int Coll, int Key, int Value)[] steps, int backupPick, int targetKind, (int Step, int Micros) pick, Stops? stops = null, CompactionLimits? compact = null)
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("pitr");
        var db = client.GetDatabase(source);
        var id = 100;
        var start = await Oplog.NewestAsync(client);
        var points = new List<(BsonDocument First, BsonDocument Last, DatabaseContents State)>();
        var backupAt = backupPick % steps.Length;
        var backupPoint = -1;
        await using (var run = new ArchiverRun(client, repository, o => o with { StartAfter = start, ChunkMaxBytes = stops?.ChunkMaxBytes ?? o.ChunkMaxBytes }))
        {
            var seen = start;
            for (var i = 0; i < steps.Length; i++)
            {
                await PitrWorkload.RunStepAsync(client, db, steps[i], () => id++);
                var mine = await EntriesOfAsync(client, source, seen);
                if (mine.Count > 0)
                {
                    seen = OplogFields.ToStorage(mine[^1]["ts"].AsBsonTimestamp);
                    points.Add((mine[0], mine[^1], await DatabaseContents.ReadAsync(client, source)));
                }

                if (i >= backupAt && backupPoint < 0 && points.Count > 0)
                {
                    await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == source }).RunAsync();
                    backupPoint = points.Count - 1;
                }
            }

            await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        if (backupPoint < 0)
        {
            return;
        }

        var (target, expected) = ChooseTarget(points, backupPoint, targetKind, pick);
        var restored = source + "_r";
        var options = new RestoreOptions
        {
            IncludeDatabase = d => d == source,
            MapDatabase = _ => restored,
            OwnsTargetDatabase = d => d == restored,
            BatchSize = stops?.BatchSize ?? 1000,
        };
        RestoreReport? report = null;
        var cutOff = new List<int>();
        if (compact is not null)
        {
            await CompactAsync(repository, compact);
        }

        stops?.Restoring();
        foreach (var at in stops?.At ?? [])
        {
            report = await CutOffRestore.RunAsync(stops!.Uri, repository, options, target, at);
            if (report is not null)
            {
                stops!.FinishedFirst();
                break;
            }

            cutOff.Add(at);
            if (compact is not null)
            {
                await CompactAsync(repository, compact with { TargetObjectBytes = compact.TargetObjectBytes * 4 });
            }
        }

        // A run cut off may still have its last command arrive later (as a killed node's may): a marker not seen here
        // may be there when the last run looks, but one seen here must be taken up.
        var stoppedPartWay = (await RestoreMarker.ListAsync(client)).Any(m => m["_id"] == options.RestoreId);
        report ??= await new RestoreExecutor(repository.Store, repository.Layout, client, options).RunAsync(target);
        Assert.True(report.Resumed || !stoppedPartWay, "a restore stopped part way started again from the start");
        if (report.Resumed)
        {
            stops!.Resumed();
        }

        Assert.DoesNotContain(await RestoreMarker.ListAsync(client), m => m["_id"] == options.RestoreId);

        var actual = await DatabaseContents.ReadAsync(client, restored);
        var history = points[expected].State.SameAs(actual)
            ? string.Empty
            : string.Join("\n", (await EntriesOfAsync(client, source, start)).Select(e => e.ToJson()));
        Assert.True(
            points[expected].State.SameAs(actual),
            $"target {target} (point {expected} of {points.Count}, backup at {backupPoint}, reached {report.ReachedTs}, cut off at commands [{string.Join(", ", cutOff)}] of its runs, batches of {options.BatchSize}):\nexpected\n{points[expected].State.Describe()}\nactual\n{actual.Describe()}\noplog\n{history}");
        await client.DropDatabaseAsync(source);
        await client.DropDatabaseAsync(restored);
    }

    /// <summary>
    /// A database restored from a history continues it on a timeline of its own, and neither lineage leaks into the
    /// other. For a random workload on a source, a random backup and a random restore target T, the database restored
    /// (into a replica set the restore owns) equals the source at T; it opens timeline 2, branched at T, and archives
    /// there; then both databases write on, interleaved (the restored one sometimes backed up on its own timeline).
    /// Restores to moments of the new lineage (a ts of the restored replica set, a time at or after the branch) equal
    /// the restored database then, across the branch where it has no backup of its own before them; the source's
    /// moments before the branch equal the source then, by default or on timeline 1; and the source's moments after
    /// the branch, on timeline 1, equal the source then, never the restored database.
    /// </summary>
    [EmulatorOnlyFact]
    public async Task A_restored_database_continues_its_history_on_a_timeline_of_its_own_and_each_lineage_restores_exactly()
    {
        // Three replica sets (so not a real server): the source; the one each case restores into as a whole, fresh
        // each time because that restore owns it; and one the checks restore into side by side, which nothing archives.
        await using var source = await EmulatorSession.StartAsync(EmulatorOptions("rs0"));
        await using var checks = await EmulatorSession.StartAsync(EmulatorOptions("rs2"));
        await Gen.Select(
                Step.Array[3, 10],
                Gen.Int[0, 1000],
                Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1000], Gen.Int[0, 999]),
                Gen.Select(Gen.Bool, Step).Array[1, 10],
                Gen.Select(Gen.Bool, Gen.Int[0, 1000]),
                Moment.Array[4],
                (before, backupPick, restoreTo, after, branchBackup, moments) => new Continuation(before, backupPick, restoreTo, after, branchBackup, moments))
            .SampleAsync(c => ContinueAsync(source.Client, checks.Client, c), iter: 20, threads: 1, print: c => c.ToString());
    }

    private static MongoEmulatorOptions EmulatorOptions(string replicaSet) =>
        new() { ReplicaSetName = replicaSet, PeriodicNoopInterval = null, TransactionEntryMaxOperations = 2 };

    private static async Task ContinueAsync(IMongoClient source, IMongoClient checks, Continuation c)
    {
        using var repository = new TestRepository();
        var database = MongoTarget.NewDatabaseName("cont");
        var id = 100;
        int NextId() => id++;
        var start = await Oplog.NewestAsync(source);

        // The source owns timeline 1 (its record names it), so a restore from it records a lineage that can be continued.
        var first = await ArchivingTimeline.OpenAsync(source, repository.Store, repository.Layout, "uid-source", DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal((1u, (uint?)null), (first.Id, first.Parent));
        var old = new RecordedHistory(source, database, start);
        var backupAt = c.BackupPick % c.Before.Length;
        var backupPoint = -1;
        await using var sourceRun = new ArchiverRun(source, repository, o => o with { Timeline = first.Id, StartAfter = start });
        for (var i = 0; i < c.Before.Length; i++)
        {
            await old.RunAsync(c.Before[i], NextId);
            if (i >= backupAt && backupPoint < 0 && old.Points.Count > 0)
            {
                await BackupAsync(source, repository, "rs0", first.Id, database);
                backupPoint = old.Points.Count - 1;
            }
        }

        if (backupPoint < 0)
        {
            await source.DropDatabaseAsync(database);
            return;
        }

        await sourceRun.WaitArchivedAsync(await Oplog.NewestAsync(source));
        var (at, atPoint) = TargetAt(old.Points, backupPoint, backupPoint + (c.RestoreTo.Step % (old.Points.Count - backupPoint)), c.RestoreTo.Kind, c.RestoreTo.Micros);
        await using var replica = await EmulatorSession.StartAsync(EmulatorOptions("rs1"));

        // The restore owns the whole replica set (the defaults): the database keeps its name, and the lineage is recorded last.
        var report = await new RestoreExecutor(repository.Store, repository.Layout, replica.Client).RunAsync(at);
        var restoredState = await DatabaseContents.ReadAsync(replica.Client, database);
        Assert.True(
            old.Points[atPoint].State.SameAs(restoredState),
            $"the restore into rs1 to {at} (source point {atPoint} of {old.Points.Count}, backup at point {backupPoint}, reached {report.ReachedTs} on timeline {report.Timeline}):\nexpected\n{old.Points[atPoint].State.Describe()}\nactual\n{restoredState.Describe()}");
        Assert.NotNull(report.Lineage);

        var branch = await ArchivingTimeline.OpenAsync(replica.Client, repository.Store, repository.Layout, "uid-restored", DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal((2u, (uint?)first.Id, report.ReachedTs, report.Lineage.BranchedAtWallUnixMs), (branch.Id, branch.Parent, branch.BranchedAfter, branch.BranchedAtWallUnixMs));
        var archiveAfter = Assert.NotNull(branch.ArchiveAfter);

        // The restored database's first state is the one the restore left, named by the entry of its lineage record: a ts of rs1.
        var restored = new RecordedHistory(replica.Client, database, archiveAfter);
        var left = BsonSerializer.Deserialize<BsonDocument>((await Oplog.RangeAsync(replica.Client, OplogTimestamp.FromValue(archiveAfter.Value - 1), archiveAfter)).Single().ToBson());
        restored.Points.Add((left, left, restoredState));
        await using var replicaRun = new ArchiverRun(replica.Client, repository, o => o with { Component = "rs1", Timeline = branch.Id, StartAfter = archiveAfter });

        // Its own backup, if any, right at the branch (-1) or after a step: plans before it cross the branch, plans after it start from it.
        var branchBackupAt = c.BranchBackup.Taken ? (c.BranchBackup.At % (c.After.Length + 1)) - 1 : int.MinValue;
        var branchBackupPoint = -1;
        var sourceAtBranch = old.Points.Count;
        for (var i = -1; i < c.After.Length; i++)
        {
            if (i >= 0)
            {
                await (c.After[i].OnSource ? old : restored).RunAsync(c.After[i].Step, NextId);
            }

            if (i == branchBackupAt)
            {
                await BackupAsync(replica.Client, repository, "rs1", branch.Id, database);
                branchBackupPoint = restored.Points.Count - 1;
            }
        }

        // Both write after the branch whatever the steps did: a timeline that archived nothing since its branch restores
        // nothing (not even the branch point), and timeline 1 must hold moments of the source after the branch.
        if (restored.Points.Count == 1)
        {
            await restored.RunAsync((0, 0, 0, 0), NextId);
        }

        if (old.Points.Count == sourceAtBranch)
        {
            await old.RunAsync((0, 0, 0, 0), NextId);
        }

        await sourceRun.WaitArchivedAsync(await Oplog.NewestAsync(source));
        await replicaRun.WaitArchivedAsync(await Oplog.NewestAsync(replica.Client));

        var story = $"restored to {at} (source point {atPoint}, source backup at point {backupPoint}); timeline {branch.Id} branched after {branch.BranchedAfter} at {branch.BranchedAtWallUnixMs} ms, " +
                    $"archived after {archiveAfter}, {(branchBackupPoint < 0 ? "no backup of its own" : $"its own backup at point {branchBackupPoint}")}";
        for (var m = 0; m < c.Moments.Length; m++)
        {
            var moment = c.Moments[m];
            var name = $"{database}_c{m}";
            if (m % 2 == 0)
            {
                // A moment of the restored database: a ts of rs1, or a time at or after the branch.
                var k = moment.Step % restored.Points.Count;
                var (target, expected) = moment.Kind == 5
                    ? AtTimeOr(restored.Points, 0, branch.BranchedAtWallUnixMs * 1000, branch.BranchedAtWallUnixMs * 1000, k)
                    : TargetAt(restored.Points, 0, k, moment.Kind, moment.Micros);
                Assert.True(OnBranch(target, branch), $"the new lineage's moment {target} is not on the branch ({story})");
                await RestoreAndCompareAsync(
                    repository, checks, database, name, target, moment.Named ? branch.Id : null, branch.Id, restored.Points[expected].State, $"new lineage (rs1) point {expected} of {restored.Points.Count}; {story}");
            }
            else
            {
                // A moment of the source: one up to the state restored (mostly before the branch), one anywhere in its
                // history, which it kept writing after the branch; just before the branch with kind 5.
                var k = backupPoint + (moment.Step % ((m % 4 == 1 ? atPoint + 1 : old.Points.Count) - backupPoint));
                var (target, expected) = moment.Kind == 5
                    ? AtTimeOr(old.Points, backupPoint, (branch.BranchedAtWallUnixMs * 1000) - 1, WallMicros(old.Points[backupPoint].Last), k)
                    : TargetAt(old.Points, backupPoint, k, moment.Kind, moment.Micros);
                var before = Shared(target, branch);

                // Past the branch the default is the restored database (a time there is its; a ts there could name an entry
                // of either replica set): only timeline 1, asked for, is the source's.
                await RestoreAndCompareAsync(
                    repository, checks, database, name, target, before && !moment.Named ? null : first.Id, first.Id, old.Points[expected].State,
                    $"old lineage (rs0) point {expected} of {old.Points.Count}, {(before ? "before" : "after")} the branch; {story}");
            }
        }

        await source.DropDatabaseAsync(database);
    }

    /// <summary>Restores <paramref name="database"/> at <paramref name="target"/> as <paramref name="name"/> (next to other data) and compares it, saying where on failure.</summary>
    private static async Task RestoreAndCompareAsync(
        TestRepository repository, IMongoClient into, string database, string name, RecoveryTarget target, uint? timeline, uint expectedTimeline, DatabaseContents expected, string story)
    {
        var asked = timeline is { } t ? $"timeline {t} asked for" : "no timeline asked for";
        RestoreReport report;
        try
        {
            // Only the named database is the restore's; its lineage is not recorded, as for any restore next to other data.
            report = await new RestoreExecutor(repository.Store, repository.Layout, into, new RestoreOptions
            {
                Timeline = timeline,
                IncludeDatabase = d => d == database,
                MapDatabase = _ => name,
                OwnsTargetDatabase = d => d == name,
                RecordLineage = false,
            }).RunAsync(target);
        }
        catch (Exception e) when (e is RestoreRefusedException or RestoreFailedException)
        {
            throw new Xunit.Sdk.XunitException($"target {target} ({asked}), {story}: the restore failed: {e.Message}\nexpected\n{expected.Describe()}");
        }

        var actual = await DatabaseContents.ReadAsync(into, name);
        await into.DropDatabaseAsync(name);
        Assert.True(
            report.Timeline == expectedTimeline && expected.SameAs(actual),
            $"target {target} ({asked}) restored timeline {report.Timeline} (expected {expectedTimeline}), reached {report.ReachedTs}; {story}:\nexpected\n{expected.Describe()}\nactual\n{actual.Describe()}");
    }

    private static Task BackupAsync(IMongoClient client, TestRepository repository, string component, uint timeline, string database) =>
        new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = component, Timeline = timeline, IncludeDatabase = d => d == database }).RunAsync();

    /// <summary>
    /// A time target at <paramref name="micros"/> and the state it must restore, if it is at or after
    /// <paramref name="earliest"/> (where the lineage's restores begin: its backup's point, or its branch's) and splits
    /// no step; else the ts of point <paramref name="k"/>.
    /// </summary>
    private static (RecoveryTarget Target, int Expected) AtTimeOr(
        List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, long micros, long earliest, int k) =>
        micros >= earliest && !Splits(points, floor, micros, strictly: false)
            ? (RecoveryTarget.AtTimeMicroseconds(micros), LastAtOrBefore(points, floor, micros, strictly: false))
            : TargetAt(points, floor, k, 0, 0);

    /// <summary>
    /// Whether a target falls on the branch when no timeline is asked for: a time at or after the branch's wall
    /// millisecond, a ts (of either replica set: the numbers alone do not say which) from the restored replica set's
    /// first state on.
    /// </summary>
    private static bool OnBranch(RecoveryTarget target, TimelineRecord branch) => target.Kind == RecoveryTargetKind.Ts
        ? Included(target) >= branch.ArchiveAfter!.Value.Value
        : (target.TimeUnixMicroseconds!.Value - (target.Exclusive ? 1 : 0)) / 1000 >= branch.BranchedAtWallUnixMs;

    /// <summary>Whether a target not on the branch is of the history both lineages share: a ts up to the branch's last entry, or any time before it.</summary>
    private static bool Shared(RecoveryTarget target, TimelineRecord branch) =>
        !OnBranch(target, branch) && (target.Kind != RecoveryTargetKind.Ts || Included(target) <= branch.BranchedAfter.Value);

    /// <summary>The newest ts a ts target includes.</summary>
    private static ulong Included(RecoveryTarget target) => target.Ts!.Value.Value - (target.Exclusive ? 1UL : 0UL);

    /// <summary>A target at or after the backup's point, and the index of the state it must restore.</summary>
    private static (RecoveryTarget Target, int Expected) ChooseTarget(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int backupPoint, int kind, (int Step, int Micros) pick) =>
        TargetAt(points, backupPoint, backupPoint + (pick.Step % (points.Count - backupPoint)), kind, pick.Micros);

    /// <summary>
    /// A target of the kind <paramref name="kind"/> at point <paramref name="k"/>, and the index of the state it must
    /// restore. <paramref name="floor"/> is the first point a restore reaches (a backup's, or a branch's): every state
    /// up to it is restored whatever the target says.
    /// </summary>
    private static (RecoveryTarget Target, int Expected) TargetAt(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, int k, int kind, int micros)
    {
        OplogTimestamp Ts(BsonDocument entry) => OplogFields.ToStorage(entry["ts"].AsBsonTimestamp);
        long Wall(int i) => WallMicros(points[i].Last);
        switch (kind)
        {
            case 1 when k > floor:
                return (RecoveryTarget.AtTs(Ts(points[k].First), exclusive: true), k - 1);
            case 2 when !Splits(points, floor, Wall(k) + micros, strictly: false):
                var time = Wall(k) + micros;
                return (RecoveryTarget.AtTimeMicroseconds(time), LastAtOrBefore(points, floor, time, strictly: false));
            case 3 when k > floor && Wall(k) > Wall(floor) && !Splits(points, floor, Wall(k), strictly: true):
                return (RecoveryTarget.AtTimeMicroseconds(Wall(k), exclusive: true), LastAtOrBefore(points, floor, Wall(k), strictly: true));
            case 4 when k > floor && points[k].First != points[k].Last && points[k].First["o"].AsBsonDocument.Contains("applyOps"):
                // Inside a transaction's span: its first chain entry is included, its commit is not.
                return (RecoveryTarget.AtTs(Ts(points[k].First)), k - 1);
            default:
                return (RecoveryTarget.AtTs(Ts(points[k].Last)), k);
        }
    }

    /// <summary>An entry's <c>wall</c> in Unix microseconds (a whole millisecond).</summary>
    private static long WallMicros(BsonDocument entry) => (entry["wall"].ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>
    /// A step of several plain entries (an implicit create, then the insert) has no captured state in between: a time
    /// that falls between them has no expected state, so such a target is not chosen.
    /// </summary>
    private static bool Splits(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, long micros, bool strictly) =>
        Enumerable.Range(floor + 1, points.Count - floor - 1).Any(i =>
            points[i].First != points[i].Last && !points[i].First.Contains("lsid")
            && (strictly ? WallMicros(points[i].First) < micros : WallMicros(points[i].First) <= micros)
            && !(strictly ? WallMicros(points[i].Last) < micros : WallMicros(points[i].Last) <= micros));

    /// <summary>The newest state a time target includes (at least the floor's).</summary>
    private static int LastAtOrBefore(List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> points, int floor, long micros, bool strictly) =>
        Enumerable.Range(0, points.Count).Last(i => i <= floor || (strictly ? WallMicros(points[i].Last) < micros : WallMicros(points[i].Last) <= micros));

    /// <summary>One restore-and-continue case; its text is what a failing case prints.</summary>
    private sealed record Continuation(
        (int Kind, int Coll, int Key, int Value)[] Before,
        int BackupPick,
        (int Kind, int Step, int Micros) RestoreTo,
        (bool OnSource, (int Kind, int Coll, int Key, int Value) Step)[] After,
        (bool Taken, int At) BranchBackup,
        (int Kind, int Step, int Micros, bool Named)[] Moments)
    {
        public override string ToString() =>
            $"before [{string.Join(" ", Before)}], backup {BackupPick}, restore to {RestoreTo}, " +
            $"after [{string.Join(" ", After.Select(a => (a.OnSource ? "rs0" : "rs1") + a.Step))}], branch backup {BranchBackup}, moments [{string.Join(" ", Moments)}]";
    }

    /// <summary>One database's states in one replica set: after each step that wrote, its first and last entry and its contents.</summary>
    private sealed class RecordedHistory(IMongoClient client, string database, OplogTimestamp after)
    {
        private OplogTimestamp _seen = after;

        public List<(BsonDocument First, BsonDocument Last, DatabaseContents State)> Points { get; } = [];

        public async Task RunAsync((int Kind, int Coll, int Key, int Value) step, Func<int> nextId)
        {
            await PitrWorkload.RunStepAsync(client, client.GetDatabase(database), step, nextId);
            var mine = await EntriesOfAsync(client, database, _seen);
            if (mine.Count > 0)
            {
                _seen = OplogFields.ToStorage(mine[^1]["ts"].AsBsonTimestamp);
                Points.Add((mine[0], mine[^1], await DatabaseContents.ReadAsync(client, database)));
            }
        }
    }

    /// <summary>The entries after <paramref name="after"/> that touch <paramref name="database"/> (directly or inside a transaction).</summary>
    private static async Task<List<BsonDocument>> EntriesOfAsync(IMongoClient client, string database, OplogTimestamp after)
    {
        var raw = await Oplog.RangeAsync(client, after, OplogTimestamp.FromValue(ulong.MaxValue >> 1));
        var prefix = database + ".";
        return [.. raw.Select(r => BsonSerializer.Deserialize<BsonDocument>(r.ToBson())).Where(e => Touches(e, prefix))];
    }

    private static bool Touches(BsonDocument entry, string prefix) =>
        entry.GetValue("ns", string.Empty).AsString.StartsWith(prefix, StringComparison.Ordinal)
        || (entry["o"].AsBsonDocument.TryGetValue("applyOps", out var ops) && ops.AsBsonArray.Any(o => Touches(o.AsBsonDocument, prefix)));
}
