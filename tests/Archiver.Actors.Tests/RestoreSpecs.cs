using System.Collections.Concurrent;
using Akka.Actor;
using Archiver.Actors.Databases;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Actors.Restores;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests;

public sealed class RestoreSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestSystem.Actors, "archiver", output)
{
    private static readonly ResourceId Restored = new("demo", "mg-restored");
    private static readonly PlanInfo Plan = new(1, "20301231-backup", "1000:5", ["rs0"], Chunks: 12, BytesToRead: 4096, Target: "2020-10-27T22:48:23.121314Z", Document: """{"formatVersion": 1, "baseBackupId": "20301231-backup"}""");
    private readonly RecordingRestoreRunner _runner = new();
    private InMemoryResourceStore _store = null!;
    private RecordingStore _recorded = null!;

    [Fact]
    public async Task A_database_asking_for_a_point_in_time_is_restored_and_says_so_with_its_progress()
    {
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null));
        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);
        Assert.Equal(RestoreStage.Succeeded, state.Restore!.Stage);

        var job = Assert.Single(_runner.Jobs);
        Assert.Equal("db/MongoDB/demo/mg-rs", job.SourcePrefix);
        Assert.Equal(new ResourceId("stash", "local-storage"), job.Storage);
        // The target as the one parser writes it, and the plan the index made, recorded before the runner was given it.
        Assert.Equal("2020-10-27T22:48:23.121314Z", job.Target);
        Assert.Equal(Plan.Document, job.Plan!.Document);
        Assert.Equal(Plan.Document, state.Restore.Plan!.Document);
        Assert.Equal(RestoreSettings.Default, job.Settings);
        await AwaitAssertAsync(async () =>
        {
            var status = (await _store.GetAsync<MongoDB>(Restored))!.Status!.Archiver!;
            Assert.Equal(DatabaseArchiverPhase.Restored, status.Phase);
            Assert.Equal("20301231-backup", status.Restore!.BaseSnapshot);
            var restored = Assert.Single(status.Conditions!);
            Assert.Equal(ConditionStatus.True, restored.Status);
            // What the restore left out is said where users look, not only in the journal.
            Assert.Equal("from backup 20301231-backup; left out (not restorable, or MongoDB's own): admin.system.users: 2, config.system.sessions: 4", restored.Message);
        });
        Assert.Equal(["config.system.sessions: 4", "admin.system.users: 2"], state.Restore.LeftOut);
    }

    [Fact]
    public async Task A_database_created_to_be_restored_is_not_archived_while_its_restore_runs()
    {
        // As the mutator leaves it when an archiver selects the new database: spec.archiver set at creation.
        _runner.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null), "archiver: {ref: {name: archiver-demo, namespace: kubedb}}", [Fixtures.Archiver()]);
        await StateAsync(db, s => s.Restore?.Stage == RestoreStage.Running);

        // Looked at again while the restore runs (a resync, a status write): each look is a chance to configure it. A
        // look has loaded once it has read the archiver; the state asked after it is answered after it. A configuration
        // a look began runs beside the entity (a task, not a message), so the restore is held one more look beyond it.
        for (var look = 0; look < 2; look++)
        {
            var looks = Looks();
            db.Tell(new ReconcileDatabase(Restored, "looked at again while restoring"));
            await AwaitConditionAsync(() => Task.FromResult(Looks() > looks));
            await StateAsync(db, s => s.Restore?.Stage == RestoreStage.Running);
        }

        _runner.Gate.SetResult();

        // The status write that says it is restored is the later point: a configuration begun at any look (its first
        // step creates the BackupConfiguration) is in the log before it.
        var writes = await AwaitRestoredAsync();
        Assert.DoesNotContain(writes, e => e is { Verb: RecordingStore.Verb.Create, Resource: BackupConfiguration });
    }

    [Fact]
    public async Task A_target_the_catalog_refuses_fails_before_anything_is_written()
    {
        var refusal = new RefusalInfo("AfterLastArchivedEntry", "the last archived entry is at 2020-10-28T01:40:00Z", null, DateTimeOffset.Parse("2020-10-28T01:40:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var db = await StartAsync(new RecoveryPlanReply("x", null, refusal, null));
        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);
        Assert.Equal(RestoreStage.Failed, state.Restore!.Stage);
        Assert.Equal("AfterLastArchivedEntry: the last archived entry is at 2020-10-28T01:40:00Z", state.Restore.Error);
        Assert.Empty(_runner.Jobs);
        await AwaitAssertAsync(async () => Assert.Equal(DatabaseArchiverPhase.RestoreFailed, (await _store.GetAsync<MongoDB>(Restored))!.Status?.Archiver?.Phase));
    }

    [Fact]
    public async Task A_sharded_clusters_plan_for_a_replica_set_target_fails_before_any_run_saying_both_shapes()
    {
        var sharded = Plan with { Components = ["cfg", "sh0", "sh1"], ConfigServer = "cfg" };
        var db = await StartAsync(new RecoveryPlanReply("x", sharded, null, null));

        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);

        Assert.Equal(RestoreStage.Failed, state.Restore!.Stage);
        Assert.Contains("sharded cluster of 2 shard(s) (sh0, sh1)", state.Restore.Error, StringComparison.Ordinal);
        Assert.Contains("demo/mg-restored is a replica set", state.Restore.Error, StringComparison.Ordinal);
        await AwaitAssertAsync(async () => Assert.Equal(DatabaseArchiverPhase.RestoreFailed, (await _store.GetAsync<MongoDB>(Restored))!.Status?.Archiver?.Phase));
        Assert.Empty(_runner.Jobs);
    }

    [Fact]
    public async Task A_failed_restore_is_reported_failed_never_good()
    {
        _runner.Failure = new IOException("chunk oplog/rs0/00000001/0000001000-5.zst is corrupt (checksum mismatch)");
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null));
        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);
        Assert.Equal(RestoreStage.Failed, state.Restore!.Stage);
        Assert.Contains("is corrupt", state.Restore.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_restore_its_node_died_in_runs_again_and_its_target_decides(bool halfWritten)
    {
        _runner.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null));
        await StateAsync(db, s => s.Restore?.Stage == RestoreStage.Running);
        await AwaitConditionAsync(() => Task.FromResult(_runner.Jobs.Count == 1));
        var probe = CreateTestProbe();
        probe.Watch(db);
        Sys.Stop(db);
        probe.ExpectTerminated(db);

        // What the runner finds in the target the second time: the first run's marker (it had written), or its
        // lineage (it had finished, and only recording that was lost).
        _runner.Gate = null;
        if (halfWritten) _runner.Failure = new InvalidOperationException("The target holds an incomplete restore (see archiver_restore.incomplete); start from an empty target.");
        // Asked again, the index would refuse (the catalog changed since): the restore runs the plan it recorded instead.
        var refusal = new RefusalInfo("InsideGap", "planned again", null, null);
        var again = Sys.ActorOf(DatabaseActor.Props(Restored, Ports(new RecoveryPlanReply("x", null, refusal, null)), new DatabaseSettings(), TimeProvider.System));
        var state = await StateAsync(again, s => s.Restore?.IsFinished == true);

        Assert.Equal(2, _runner.Jobs.Count);
        Assert.All(_runner.Jobs, job => Assert.Equal(Plan.Document, job.Plan!.Document));
        Assert.Equal(halfWritten ? RestoreStage.Failed : RestoreStage.Succeeded, state.Restore!.Stage);
        if (halfWritten) Assert.Contains("incomplete restore", state.Restore.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_cannot_be_reached_yet_is_waited_for_with_the_reason_in_the_status_then_restored()
    {
        _runner.Unreachable = "cannot reach MongoDB demo/mg-restored yet: connection refused";
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null));

        await AwaitAssertAsync(async () =>
        {
            var restored = Assert.Single((await _store.GetAsync<MongoDB>(Restored))!.Status!.Archiver!.Conditions!, c => c.Type == "Restored");
            Assert.Equal((ConditionStatus.Unknown, "WaitingForTarget"), (restored.Status, restored.Reason));
            Assert.Contains("connection refused; trying again in", restored.Message, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(RestoreStage.Running, (await StateAsync(db, _ => true)).Restore!.Stage);

        // KubeDB made it: the next try restores it.
        _runner.Unreachable = null;
        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);
        Assert.Equal(RestoreStage.Succeeded, state.Restore!.Stage);
        Assert.True(_runner.Jobs.Count >= 2);
    }

    [Fact]
    public async Task How_it_restores_is_read_from_the_annotations_once_and_recorded_with_the_request()
    {
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null), annotations: "{archiver.kubedb.com/restore-databases: 'shop=shop_copy,crm', archiver.kubedb.com/connection-secret: restore-uri}");
        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);

        DatabaseMapping[] expected = [new("crm", "crm"), new("shop", "shop_copy")];
        Assert.Equal(expected, state.Restore!.Settings!.Databases);
        Assert.Equal("restore-uri", state.Restore.Settings.ConnectionSecret);
        Assert.Equal(expected, Assert.Single(_runner.Jobs).Settings!.Databases);
    }

    [Fact]
    public async Task A_database_map_that_cannot_be_used_fails_the_restore_naming_the_annotation_before_anything_is_read()
    {
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null), annotations: "{archiver.kubedb.com/restore-databases: 'shop=admin'}");
        var state = await StateAsync(db, s => s.Restore?.IsFinished == true);

        Assert.Equal(RestoreStage.Failed, state.Restore!.Stage);
        Assert.Equal("archiver.kubedb.com/restore-databases: 'admin' is not a database this restore may write", state.Restore.Error);
        Assert.Null(state.Restore.Plan);
        Assert.Empty(_runner.Jobs);
    }

    [Fact]
    public async Task An_entity_handed_to_another_node_stops_only_once_its_restore_run_has_ended()
    {
        // A run that, told to stop, still takes a while to end (an insert on the wire, a batch being applied).
        _runner.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _runner.Lingering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null));
        await StateAsync(db, s => s.Restore?.Stage == RestoreStage.Running);
        await AwaitConditionAsync(() => Task.FromResult(_runner.Started > 0));
        Watch(db);

        db.Tell(DatabaseHandOff.Instance);
        await AwaitConditionAsync(() => Task.FromResult(_runner.Cancelled));
        // Told to stop, the run has not ended: the entity is still there, so the region does not hand it off yet.
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        _runner.Lingering.SetResult();
        ExpectTerminated(db);
        // Nothing was recorded of a run stopped for the hand-off: the node that takes it up asks the target.
        Assert.DoesNotContain(_recorded.Log, e => e is { Verb: RecordingStore.Verb.ReplaceStatus, Resource: MongoDB { Status.Archiver.Phase: DatabaseArchiverPhase.RestoreFailed } });
    }

    [Fact]
    public async Task An_entity_handed_off_with_nothing_running_stops_at_once()
    {
        var db = await StartAsync(new RecoveryPlanReply("x", Plan, null, null));
        await StateAsync(db, s => s.Restore?.IsFinished == true);
        Watch(db);
        db.Tell(DatabaseHandOff.Instance);
        ExpectTerminated(db, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_restore_run_of_a_database_starts_on_a_node_only_once_the_one_before_it_has_ended()
    {
        var runs = RestoreRuns.For(Sys);
        var first = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = false;
        using var stop = new CancellationTokenSource();
        var one = runs.After(Restored, async token =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                // Stopped, but still finishing what it sent.
            }

            return await first.Task;
        }, stop.Token);
        var two = runs.After(Restored, _ => { secondStarted = true; return Task.FromResult(2); }, CancellationToken.None);
        var other = runs.After(new ResourceId("demo", "another"), _ => Task.FromResult(3), CancellationToken.None);

        Assert.Equal(3, await other);
        await stop.CancelAsync();
        await Task.Delay(200);
        Assert.False(secondStarted);
        Assert.True(runs.Running(Restored));

        first.SetException(new InvalidOperationException("the first run failed"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => one);
        Assert.Equal(2, await two);
        Assert.True(secondStarted);
        Assert.False(runs.Running(Restored));
    }

    private async Task<IActorRef> StartAsync(RecoveryPlanReply planReply, string archiverRef = "", Resource[]? others = null, string annotations = "{}")
    {
        var db = (MongoDB)ManifestReader.Read($$"""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: mg-restored, namespace: demo, annotations: {{annotations}}}
            spec:
              version: "6.0.12"
              {{archiverRef}}
              init:
                archiver:
                  recoveryTimeStamp: "2020-10-28T01:48:23.121314+03:00"
                  repository: {name: local-storage, namespace: stash}
                  prefix: db/MongoDB/demo/mg-rs
            """).Resources[0];
        _store = await Fixtures.StoreWithAsync([db, .. others ?? []]);
        _recorded = new RecordingStore(_store);
        var entity = Sys.ActorOf(DatabaseActor.Props(Restored, Ports(planReply), new DatabaseSettings(), TimeProvider.System));
        entity.Tell(new ReconcileDatabase(Restored, "created"));
        return entity;
    }

    private DatabasePorts Ports(RecoveryPlanReply planReply) =>
        new(_recorded.As("entity"), new ScriptedBackupRunner(), new OpsRequests.OpsRequestSteps(_recorded.As("steps"), new InProcessWorkloads(), TimeProvider.System),
            Sys.ActorOf(Props.Create(() => new FixedIndex(planReply))), _runner, new InProcessWorkloads());

    private async Task<DatabaseState> StateAsync(IActorRef db, Func<DatabaseState, bool> condition)
    {
        DatabaseState? state = null;
        await AwaitAssertAsync(async () =>
        {
            state = await db.Ask<DatabaseState>(new GetDatabaseState(Restored), TimeSpan.FromSeconds(3));
            Assert.True(condition(state));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(25));
        return state!;
    }

    /// <summary>How many times the entity has loaded its database and archiver (each look reads the archiver last).</summary>
    private int Looks() => _recorded.Log.Count(e => e is { Who: "entity", Verb: RecordingStore.Verb.Get, Resource: MongoDBArchiver });

    /// <summary>The store's log up to (and with) the first status write that says the database is restored.</summary>
    private async Task<IReadOnlyList<RecordingStore.Entry>> AwaitRestoredAsync()
    {
        IReadOnlyList<RecordingStore.Entry> upTo = [];
        await AwaitAssertAsync(() =>
        {
            var log = _recorded.Log;
            var restored = log.ToList().FindIndex(e => e is { Verb: RecordingStore.Verb.ReplaceStatus, Resource: MongoDB { Status.Archiver.Phase: DatabaseArchiverPhase.Restored } });
            Assert.True(restored >= 0, "no status write says the database is restored yet");
            upTo = [.. log.Take(restored + 1)];
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(25));
        return upTo;
    }

    private sealed class FixedIndex : ReceiveActor
    {
        public FixedIndex(RecoveryPlanReply reply) => Receive<PlanRecovery>(_ => Sender.Tell(reply));
    }

    private sealed class RecordingRestoreRunner : IRestoreRunner
    {
        public ConcurrentQueue<RestoreJob> Jobs { get; } = new();

        public Exception? Failure { get; set; }

        public TaskCompletionSource? Gate { get; set; }

        public string? Unreachable { get; set; }

        /// <summary>Set: a run told to stop ends only once this completes (what it sent is still being done).</summary>
        public TaskCompletionSource? Lingering { get; set; }

        public int Started => Jobs.Count;

        public bool Cancelled { get; private set; }

        public async Task<RestoreOutcome> RunAsync(RestoreJob job, IProgress<RestoreProgressReport> progress, CancellationToken cancellation)
        {
            Jobs.Enqueue(job);
            if (Unreachable is { } reason) throw new RestoreTargetUnreachableException(reason);
            progress.Report(new RestoreProgressReport(10, 100, 1024, 4096));
            try
            {
                if (Gate is { } gate) await gate.Task.WaitAsync(cancellation);
            }
            catch (OperationCanceledException) when (Lingering is { } lingering)
            {
                Cancelled = true;
                await lingering.Task;
                throw;
            }

            if (Failure is { } failure) throw failure;
            return new RestoreOutcome("20301231-backup", 100, ["config.system.sessions: 4", "admin.system.users: 2"]);
        }
    }
}
