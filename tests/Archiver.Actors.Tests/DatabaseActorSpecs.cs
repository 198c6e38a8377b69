using Akka.Actor;
using Akka.TestKit;
using Archiver.Actors.Databases;
using Archiver.Actors.Embedded;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests;

public sealed partial class DatabaseActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset First = new(2030, 1, 1, 1, 0, 0, TimeSpan.Zero);
    private readonly ScriptedBackupRunner _runner = new();
    private readonly InProcessWorkloads _workloads = new();
    private readonly SnapshotRecordingWorkloads _recording;

    public DatabaseActorSpecs(ITestOutputHelper output)
        : base(TestSystem.Actors, "archiver", output)
    {
        _recording = new SnapshotRecordingWorkloads(_workloads);
    }
    private IActorRef _index = ActorRefs.Nobody;
    private InMemoryResourceStore _store = null!;
    private Watching.ResourceCache? _cache;

    protected override void AfterAll()
    {
        _cache?.Dispose();
        base.AfterAll();
    }

    [Fact]
    public async Task A_configured_database_takes_its_archivers_schedule_and_a_tick_backs_it_up()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}");
        var state = await StateAsync(db, s => s.Schedule is not null);
        Assert.Equal("0 * * * *", state.Schedule!.Cron);
        Assert.Equal(ConcurrencyPolicy.Forbid, state.Schedule.ConcurrencyPolicy);

        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        state = await StateAsync(db, s => s.LastSucceeded is not null);
        Assert.Equal(First, state.LastSucceeded!.ScheduledFor);
        await AwaitAssertAsync(async () => Assert.Single(await _store.ListAsync<Snapshot>("demo"), s => s.Spec!.Type == SnapshotType.FullBackup));
    }

    [Fact]
    public async Task Forbid_skips_a_run_while_the_previous_one_is_active_and_records_why()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\", concurrencyPolicy: Forbid}");
        await StateAsync(db, s => s.Schedule is not null);
        var gate = _runner.Hold();
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.Active.Count == 1);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));

        var state = await StateAsync(db, s => s.Skipped == 1);
        Assert.Single(state.Active);
        Assert.Single(_runner.Started);
        gate.SetResult();
        await StateAsync(db, s => s.Active.IsEmpty && s.LastSucceeded is not null);
    }

    [Fact]
    public async Task Allow_lets_runs_overlap()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\", concurrencyPolicy: Allow}");
        await StateAsync(db, s => s.Schedule is not null);
        var gate = _runner.Hold();
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));
        await StateAsync(db, s => s.Active.Count == 2);
        gate.SetResult();
        await StateAsync(db, s => s.Active.IsEmpty);
    }

    [Fact]
    public async Task Replace_cancels_the_active_run_for_the_new_one()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\", concurrencyPolicy: Replace}");
        await StateAsync(db, s => s.Schedule is not null);
        var gate = _runner.Hold();
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.Active.Count == 1);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));
        await AwaitConditionAsync(() => Task.FromResult(_runner.Cancelled.Count == 1));
        gate.SetResult();
        var state = await StateAsync(db, s => s.LastSucceeded is not null && s.Active.IsEmpty);
        Assert.Equal(First.AddHours(1), state.LastSucceeded!.ScheduledFor);
        Assert.Contains("cancelled", state.LastFailed!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_tries_again_after_the_delay_up_to_maxRetry_times()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}\n    failurePolicy: Retry\n    retryConfig: {maxRetry: 2, delay: 50ms}");
        await StateAsync(db, s => s.Schedule is not null);
        _runner.FailNext(new IOException("mongodump: connection reset"), new IOException("mongodump: connection reset"));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        var state = await StateAsync(db, s => s.LastSucceeded is not null);
        Assert.Equal(3, state.LastSucceeded!.Attempt);
        Assert.Equal(3, _runner.Started.Count);
        Assert.Single(_runner.Started.Distinct());
    }

    [Fact]
    public async Task Retries_run_out_and_the_run_fails_for_good()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}\n    failurePolicy: Retry\n    retryConfig: {maxRetry: 1, delay: 50ms}");
        await StateAsync(db, s => s.Schedule is not null);
        _runner.FailNext(new IOException("disk full"), new IOException("disk full"), new IOException("disk full"));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        var state = await StateAsync(db, s => s.LastFailed is { Attempt: 2 } && s.Retrying.IsEmpty && s.Active.IsEmpty);
        Assert.Equal("disk full", state.LastFailed!.Error);

        // A later run failing the same way: its retry is armed after the first run's last failure, with the same delay,
        // so by the time it has run, a retry of the first run (had one been armed) would have run too.
        _runner.FailNext(new IOException("disk full"), new IOException("disk full"));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));
        await StateAsync(db, s => s.LastFailed is { Attempt: 2 } && s.LastFailed.ScheduledFor == First.AddHours(1) && s.Retrying.IsEmpty && s.Active.IsEmpty);
        Assert.Equal([2, 2], _runner.Started.GroupBy(run => run).Select(runs => runs.Count()));
    }

    [Fact]
    public async Task With_failurePolicy_Fail_a_failed_run_waits_for_the_next_schedule()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}");
        await StateAsync(db, s => s.Schedule is not null);
        _runner.FailNext(new IOException("disk full"));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        var state = await StateAsync(db, s => s.LastFailed is not null && s.Active.IsEmpty);
        // A retry is state before it is a timer: none is recorded.
        Assert.Empty(state.Retrying);

        // And none runs at once: a later tick, queued behind anything the failure set off, runs and is the second start.
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));
        await StateAsync(db, s => s.LastSucceeded?.ScheduledFor == First.AddHours(1) && s.Active.IsEmpty);
        Assert.Equal(2, _runner.Started.Count);
        Assert.Equal(2, _runner.Started.Distinct().Count());
    }

    [Fact]
    public async Task A_paused_archiver_skips_scheduled_runs()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", pause: true);
        await StateAsync(db, s => s.Schedule is { Paused: true });
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.Skipped == 1);
        Assert.Empty(_runner.Started);
    }

    [Fact]
    public async Task A_repeated_tick_for_the_same_time_runs_once()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\", concurrencyPolicy: Allow}");
        await StateAsync(db, s => s.Schedule is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        // The probe: a tick for a later time, behind the repeated one in the mailbox, so handled after it. A state read
        // after both with no run active comes after every run they started had finished (Allow: they overlap).
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));
        await StateAsync(db, s => s.Active.IsEmpty && s.LastSucceeded is not null);
        Assert.Equal(2, _runner.Started.Count);
        Assert.Equal(2, _runner.Started.Distinct().Count());
    }

    [Fact]
    public async Task A_run_interrupted_by_a_crash_counts_as_a_failed_attempt_and_is_retried()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}\n    failurePolicy: Retry\n    retryConfig: {maxRetry: 2, delay: 50ms}");
        await StateAsync(db, s => s.Schedule is not null);
        _runner.Hold();
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.Active.Count == 1);
        var probe = CreateTestProbe();
        probe.Watch(db);
        Sys.Stop(db);
        probe.ExpectTerminated(db);

        _runner.Hold().SetResult();
        var again = Sys.ActorOf(DatabaseActor.Props(Fixtures.DatabaseId, Ports(), new DatabaseSettings(), TimeProvider.System));
        var state = await StateAsync(again, s => s.LastSucceeded is not null);
        Assert.Equal(2, state.LastSucceeded!.Attempt);
        Assert.Equal("interrupted: the node running it stopped", state.LastFailed!.Error);
    }

    [Fact]
    public async Task What_a_backup_leaves_pending_when_its_node_dies_is_done_after_recovery()
    {
        // The Snapshot cannot be made (the store refuses), and retention is asked for but never answered: the node dies.
        var index = CreateTestProbe();
        _index = index.Ref;
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}");
        var store = new ForbiddingStore(_store) { ForbidSnapshotCreates = true };
        var probe = CreateTestProbe();
        probe.Watch(db);
        Sys.Stop(db);
        probe.ExpectTerminated(db);
        var first = Sys.ActorOf(DatabaseActor.Props(Fixtures.DatabaseId, Ports(store), new DatabaseSettings(), TimeProvider.System));
        await StateAsync(first, s => s.Schedule is not null);
        first.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await index.ExpectMsgAsync<Messages.Protocol.StorageIndexes.ApplyRetention>(TimeSpan.FromSeconds(10));
        var succeeded = await StateAsync(first, s => s.LastSucceeded is not null);
        Assert.True(succeeded.RetentionPending);
        Assert.Single(succeeded.SnapshotsPending);
        probe.Watch(first);
        Sys.Stop(first);
        probe.ExpectTerminated(first);
        Assert.DoesNotContain(await _store.ListAsync<Snapshot>("demo"), s => s.Spec!.Type == SnapshotType.FullBackup);

        // Recovered elsewhere, with a store that takes the Snapshot and an index that answers: both are done, once.
        store.ForbidSnapshotCreates = false;
        var again = Sys.ActorOf(DatabaseActor.Props(Fixtures.DatabaseId, Ports(store), new DatabaseSettings(), TimeProvider.System));
        await AnswerRetentionAsync(index, request => new Messages.Protocol.StorageIndexes.RetentionReply(request.Prefix, [], 0, null));
        var state = await StateAsync(again, s => !s.RetentionPending && s.SnapshotsPending.IsEmpty);
        var recorded = Assert.Single(await _store.ListAsync<Snapshot>("demo"), s => s.Spec!.Type == SnapshotType.FullBackup);
        Assert.Equal(state.LastSucceeded!.BackupId, recorded.Spec!.SnapshotId);
        // Made when the backup was, not when its node came back.
        Assert.Equal(state.LastSucceeded.FinishedAt!.Value, recorded.Spec.SnapshotTime!.Created!.Value, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_volume_snapshot_backup_is_recorded_with_a_component_listing_its_snapshots_as_KubeStash_does()
    {
        var cut = new DateTimeOffset(2030, 1, 1, 1, 0, 5, TimeSpan.Zero);
        _runner.VolumeSnapshots = [new Messages.Protocol.Databases.BackupVolumeSnapshot("rs0", "datadir-mg-rs-1", "mg-rs-1.mg-rs-pods.demo.svc:27017", "mg-rs-full-1-1", cut)];
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}");
        await StateAsync(db, s => s.Schedule is not null);

        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));

        Snapshot recorded = null!;
        await AwaitAssertAsync(async () => recorded = Assert.Single(await _store.ListAsync<Snapshot>("demo"), s => s.Spec!.Type == SnapshotType.FullBackup), TimeSpan.FromSeconds(10));
        var component = Assert.Single(recorded.Spec!.Components!);
        Assert.Equal(("rs0", ComponentDriver.CSISnapshotter, SnapshotPhase.Succeeded), (component.Name, component.Driver, component.Phase));
        var stats = Assert.Single(component.VolumeSnapshotterStats!);
        Assert.Equal(("datadir-mg-rs-1", "mg-rs-1.mg-rs-pods.demo.svc:27017", "mg-rs-full-1-1", cut), (stats.PvcName, stats.Hostname, stats.VolumeSnapshotName, stats.VolumeSnapshotTime!.Value));
        Assert.Equal(1, recorded.Status!.TotalComponents);
    }

    [Fact]
    public async Task The_entity_saves_its_state_every_N_events_and_recovers_from_that_snapshot()
    {
        var settings = new DatabaseSettings { SnapshotEvery = 3 };
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: settings);
        await StateAsync(db, s => s.Schedule is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.LastSucceeded is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First.AddHours(1)));
        var state = await StateAsync(db, s => s.Runs == 2 && s.Active.IsEmpty && s.SnapshotsPending.IsEmpty);

        // The snapshot store holds the state as of a recent event, in the journal's serialization.
        var loaded = await Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null)
            .Ask<Akka.Persistence.LoadSnapshotResult>(new Akka.Persistence.LoadSnapshot($"database-{Fixtures.DatabaseId}", Akka.Persistence.SnapshotSelectionCriteria.Latest, long.MaxValue), TimeSpan.FromSeconds(3));
        var snapshot = Assert.IsType<DatabaseState>(loaded.Snapshot?.Snapshot);
        Assert.True(snapshot.Runs >= 1);

        var probe = CreateTestProbe();
        probe.Watch(db);
        Sys.Stop(db);
        probe.ExpectTerminated(db);
        var again = Sys.ActorOf(DatabaseActor.Props(Fixtures.DatabaseId, Ports(), settings, TimeProvider.System));
        var recovered = await StateAsync(again, s => s.Runs == 2);
        Assert.Equal(state.LastSucceeded, recovered.LastSucceeded);
        Assert.Equal(state.Schedule, recovered.Schedule);
    }

    [Fact]
    public async Task A_successful_backup_applies_the_archivers_retention_policy_to_its_repository()
    {
        var index = CreateTestProbe();
        _index = index.Ref;
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", retentionPolicy: "keep-last-5");
        await _store.CreateAsync((RetentionPolicy)Messages.Manifests.ManifestReader.Read("""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: RetentionPolicy
            metadata: {name: keep-last-5, namespace: kubedb}
            spec: {maxRetentionPeriod: 30d, successfulSnapshots: {last: 5}, failedSnapshots: {last: 2}}
            """).Resources[0]);
        await StateAsync(db, s => s.Schedule is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));

        var request = await AnswerRetentionAsync(index, request => new Messages.Protocol.StorageIndexes.RetentionReply(request.Prefix, [], 0, null));
        Assert.Equal("db/MongoDB/demo/mg-rs", request.Prefix);
        Assert.Equal(new ResourceId("stash", "local-storage"), request.StorageId);
        Assert.Equal(5, request.KeepLastSucceeded);
        Assert.Equal(2, request.KeepLastFailed);
        Assert.InRange(request.MaxRetentionPeriod!.Value.TotalDays, 28, 31);
        Assert.False(request.DryRun);
    }

    [Fact]
    public async Task A_retention_run_that_deleted_something_refreshes_the_windows_at_once()
    {
        var index = CreateTestProbe();
        _index = index.Ref;
        // The periodic look is far away: only the retention run can explain a look within seconds.
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromHours(1) });
        await StateAsync(db, s => s.Schedule is not null && s.DatabaseUid is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));

        await AnswerRetentionAsync(index, request => new Messages.Protocol.StorageIndexes.RetentionReply(request.Prefix, ["db/MongoDB/demo/mg-rs/backups/old/manifest.json"], 1, null));

        var look = await index.ExpectMsgAsync<Messages.Protocol.StorageIndexes.GetRecoverableWindows>(TimeSpan.FromSeconds(5));
        Assert.Equal(("db/MongoDB/demo/mg-rs", (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Metadata.Uid), (look.Prefix, look.Owner));
    }

    [Fact]
    public async Task A_retention_run_that_deleted_backups_deletes_their_FullBackup_Snapshots_and_no_other()
    {
        var index = CreateTestProbe();
        _index = index.Ref;
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromHours(1) });
        await StateAsync(db, s => s.Schedule is not null);
        // Another database's backup of the same id, and this database's backup that retention keeps.
        await _store.CreateAsync(FullBackupSnapshot("other-full-1", "other", "backup-old"));
        await _store.CreateAsync(FullBackupSnapshot("mg-rs-full-kept", "mg-rs", "backup-kept"));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));

        Snapshot recorded = null!;
        await AwaitAssertAsync(async () => recorded = Assert.Single(await _store.ListAsync<Snapshot>("demo"), s => s.Metadata.Name!.StartsWith("mg-rs-full-2", StringComparison.Ordinal)), TimeSpan.FromSeconds(5));
        var deleted = recorded.Spec!.SnapshotId!;
        await AnswerRetentionAsync(index, request => new Messages.Protocol.StorageIndexes.RetentionReply(
            request.Prefix,
            [$"db/MongoDB/demo/mg-rs/backups/{deleted}/manifest.json", $"db/MongoDB/demo/mg-rs/backups/{deleted}/files/data.archive", "db/MongoDB/demo/mg-rs/oplog/rs0/00000001/chunk"],
            3,
            null));

        // Marked for deletion: its finalizer holds it until the data is seen to be gone, then lets it go.
        Snapshot marked = null!;
        await AwaitAssertAsync(async () => Assert.NotNull((marked = (await _store.GetAsync<Snapshot>(ResourceId.Of(recorded)))!).Metadata.DeletionTimestamp), TimeSpan.FromSeconds(5));
        await Watching.SnapshotData.FinishDeletionAsync(marked, _store, new RecordingJanitor(), CancellationToken.None);
        Assert.Null(await _store.GetAsync<Snapshot>(ResourceId.Of(recorded)));
        Assert.Null((await _store.GetAsync<Snapshot>(new ResourceId("demo", "other-full-1")))!.Metadata.DeletionTimestamp);
        Assert.Null((await _store.GetAsync<Snapshot>(new ResourceId("demo", "mg-rs-full-kept")))!.Metadata.DeletionTimestamp);
    }

    [Fact]
    public async Task Retention_deletes_the_volume_snapshots_of_the_backups_it_removes_before_it_removes_them()
    {
        var index = CreateTestProbe();
        _index = index.Ref;
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromHours(1) });
        await StateAsync(db, s => s.Schedule is not null);
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));

        var old = new Messages.Protocol.StorageIndexes.VolumeSnapshotRef("demo", "mg-rs-full-old-1");
        var preview = await index.FishForMessageAsync<Messages.Protocol.StorageIndexes.ApplyRetention>(r => r.DryRun, TimeSpan.FromSeconds(10));
        Assert.Empty(_recording.Deleted);
        index.Reply(new Messages.Protocol.StorageIndexes.RetentionReply(preview.Prefix, ["db/MongoDB/demo/mg-rs/backups/old/manifest.json"], 0, null, [old]));
        var run = await index.FishForMessageAsync<Messages.Protocol.StorageIndexes.ApplyRetention>(r => !r.DryRun, TimeSpan.FromSeconds(10));

        // Deleted by the time the backups are asked to go, not after.
        Assert.Equal(old, Assert.Single(_recording.Deleted));
        index.Reply(new Messages.Protocol.StorageIndexes.RetentionReply(run.Prefix, ["db/MongoDB/demo/mg-rs/backups/old/manifest.json"], 1, null, [old]));
        await StateAsync(db, s => !s.RetentionPending);
        Assert.Single(_recording.Deleted);
    }

    [Fact]
    public async Task An_archiver_moved_to_another_storage_shows_that_storages_windows_at_once()
    {
        var index = CreateTestProbe();
        _index = index.Ref;
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromHours(1) });
        await StateAsync(db, s => s.Schedule is not null);
        var archiver = (await _store.GetAsync<MongoDBArchiver>(new ResourceId("kubedb", "archiver-demo")))!;
        await _store.ReplaceAsync(archiver with
        {
            Spec = archiver.Spec! with { BackupStorage = archiver.Spec.BackupStorage! with { Ref = new TypedObjectRef { Name = "other-storage", Namespace = "stash" } } },
        });
        db.Tell(new ReconcileDatabase(Fixtures.DatabaseId, "archiver changed"));

        var look = await index.FishForMessageAsync<Messages.Protocol.StorageIndexes.GetRecoverableWindows>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(new ResourceId("stash", "other-storage"), look.StorageId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_archived_database_reports_its_windows_lag_headroom_and_snapshot_range(bool fromTheNodeCache)
    {
        var from = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var windows = new Messages.Protocol.StorageIndexes.RecoverableWindowsReply("db/MongoDB/demo/mg-rs", [new(1, "b1", from, from.AddHours(2), "1:1", "2:1")], [], null);
        _index = Sys.ActorOf(Props.Create(() => new WindowsIndex(windows)));
        await _workloads.EnsureArchivingAsync(Fixtures.DatabaseId, new Ports.ArchivingSpec(new ResourceId("stash", "local-storage"), "db/MongoDB/demo/mg-rs", "h", TimeSpan.FromSeconds(1), 1 << 24));
        _workloads.Report(Fixtures.DatabaseId, new Ports.ArchivingReport("rs0", from, from.AddHours(2), TimeSpan.FromMilliseconds(800), TimeSpan.FromMinutes(20), null, from.AddHours(2)));
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromMilliseconds(100) }, cached: fromTheNodeCache);
        await _store.CreateAsync(OpsRequests.ArchiverResources.IncrementalSnapshot(Fixtures.Archiver(), Fixtures.DatabaseId, "h", from));
        var cachedBefore = _cache?.Get<MongoDB>(Fixtures.DatabaseId);
        var versionBefore = cachedBefore?.Metadata.ResourceVersion;

        await AwaitAssertAsync(async () =>
        {
            var status = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver;
            Assert.Equal("800ms", status?.Lag);
            Assert.Equal("20m0s", status?.OplogHeadroom);
            Assert.Equal(from.AddHours(2), Assert.Single(status!.RecoverableWindows!).End);
            var archiving = Assert.Single(status.Conditions!, c => c.Type == "Archiving");
            Assert.Equal("HeadroomLow", archiving.Reason);
            var component = Assert.Single((await _store.GetAsync<Snapshot>(new ResourceId("demo", "mg-rs-incremental")))!.Spec!.Components!);
            Assert.Equal(from.AddHours(2), component.WalSegment!.End);
        }, TimeSpan.FromSeconds(10));
        if (fromTheNodeCache)
        {
            // Read from the shared cache, written as a copy: the cached object is as it was.
            Assert.NotNull(versionBefore);
            Assert.Equal(versionBefore, cachedBefore!.Metadata.ResourceVersion);
            Assert.Null(cachedBefore.Status?.Archiver?.Lag);
            await AwaitAssertAsync(() => Assert.Equal("800ms", _cache!.Get<MongoDB>(Fixtures.DatabaseId)!.Status?.Archiver?.Lag), TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task A_raised_headroom_alarm_written_in_the_status_holds_until_headroom_is_back_with_a_margin()
    {
        var from = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var noWindows = new Messages.Protocol.StorageIndexes.RecoverableWindowsReply("db/MongoDB/demo/mg-rs", [], [], null);
        _index = Sys.ActorOf(Props.Create(() => new WindowsIndex(noWindows)));
        await _workloads.EnsureArchivingAsync(Fixtures.DatabaseId, new Ports.ArchivingSpec(new ResourceId("stash", "local-storage"), "db/MongoDB/demo/mg-rs", "h", TimeSpan.FromSeconds(1), 1 << 24));
        // 70 min: over the 1 h threshold, under the 75 min it takes to clear a raised alarm.
        _workloads.Report(Fixtures.DatabaseId, new Ports.ArchivingReport("rs0", from, from.AddHours(2), TimeSpan.FromMilliseconds(800), TimeSpan.FromMinutes(70), null, from.AddHours(2)));
        // Raised by an earlier look, perhaps on another node: the entity starts with nothing of it in memory.
        var raised = new Condition { Type = ArchivingHealth.ConditionType, Status = ConditionStatus.False, Reason = "HeadroomLow", Message = "raised earlier", LastTransitionTime = from };
        await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromMilliseconds(100) }, status: new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Conditions = [raised] } });

        await AwaitAssertAsync(async () =>
        {
            var status = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver;
            Assert.Equal("1h10m0s", status?.OplogHeadroom);
            var archiving = Assert.Single(status!.Conditions!, c => c.Type == ArchivingHealth.ConditionType);
            Assert.Equal("HeadroomLow", archiving.Reason);
            Assert.Contains("not yet back over 1h15m0s", archiving.Message, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));

        _workloads.Report(Fixtures.DatabaseId, new Ports.ArchivingReport("rs0", from, from.AddHours(2), TimeSpan.FromMilliseconds(800), TimeSpan.FromMinutes(80), null, from.AddHours(2)));
        await AwaitAssertAsync(async () =>
            Assert.Equal("Healthy", Assert.Single((await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status!.Archiver!.Conditions!, c => c.Type == ArchivingHealth.ConditionType).Reason),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Deleting_the_database_stops_its_archiving_at_once_and_one_created_again_under_its_name_starts_from_nothing()
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}");
        var first = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        var state = await StateAsync(db, s => s.Schedule is not null && s.DatabaseUid == first.Metadata.Uid);
        await _workloads.EnsureArchivingAsync(Fixtures.DatabaseId, Spec(first.Metadata.Uid));
        db.Tell(new RunScheduledBackup(Fixtures.DatabaseId, First));
        await StateAsync(db, s => s.LastSucceeded is not null);

        await _store.DeleteAsync<MongoDB>(Fixtures.DatabaseId);
        db.Tell(new ReconcileDatabase(Fixtures.DatabaseId, "deleted"));

        state = await StateAsync(db, s => s.DatabaseUid is null);
        Assert.False(state.HoldsAnything);
        Assert.False(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));

        var again = await _store.CreateAsync(first with { Metadata = new k8s.Models.V1ObjectMeta { Name = first.Metadata.Name, NamespaceProperty = first.Metadata.NamespaceProperty, Annotations = first.Metadata.Annotations } });
        db.Tell(new ReconcileDatabase(Fixtures.DatabaseId, "created"));
        state = await StateAsync(db, s => s.DatabaseUid == again.Metadata.Uid && s.Schedule is not null);
        Assert.NotEqual(first.Metadata.Uid, again.Metadata.Uid);
        Assert.Null(state.LastSucceeded);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_database_replaced_unseen_stops_only_the_old_ones_archiving(bool newOneAlreadyArchived)
    {
        var db = await StartAsync("scheduler: {schedule: \"0 * * * *\"}");
        var first = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        await StateAsync(db, s => s.DatabaseUid == first.Metadata.Uid);
        await _workloads.EnsureArchivingAsync(Fixtures.DatabaseId, Spec(first.Metadata.Uid));

        // Deleted and created again between two looks of the entity.
        await _store.DeleteAsync<MongoDB>(Fixtures.DatabaseId);
        var again = await _store.CreateAsync(first with { Metadata = new k8s.Models.V1ObjectMeta { Name = first.Metadata.Name, NamespaceProperty = first.Metadata.NamespaceProperty, Annotations = first.Metadata.Annotations } });
        if (newOneAlreadyArchived) await _workloads.EnsureArchivingAsync(Fixtures.DatabaseId, Spec(again.Metadata.Uid));
        db.Tell(new ReconcileDatabase(Fixtures.DatabaseId, "changed"));

        await StateAsync(db, s => s.DatabaseUid == again.Metadata.Uid);
        await AwaitAssertAsync(() => Assert.Equal(
            newOneAlreadyArchived ? again.Metadata.Uid : null,
            _workloads.Archiving.GetValueOrDefault(Fixtures.DatabaseId)?.DatabaseUid));
    }

    [Fact]
    public async Task An_archiver_that_refuses_to_write_turns_the_phase_Blocked_with_the_reason_and_back_once_it_writes()
    {
        var from = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var noWindows = new Messages.Protocol.StorageIndexes.RecoverableWindowsReply("db/MongoDB/demo/mg-rs", [], [], null);
        _index = Sys.ActorOf(Props.Create(() => new WindowsIndex(noWindows)));
        await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { ObserveInterval = TimeSpan.FromMilliseconds(100) }, status: new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Archiving } });
        var uid = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Metadata.Uid;
        await _workloads.EnsureArchivingAsync(Fixtures.DatabaseId, Spec(uid));
        _workloads.Report(Fixtures.DatabaseId, new Ports.ArchivingReport("rs0", null, null, TimeSpan.Zero, null, "cannot archive: 'db/MongoDB/demo/mg-rs' already holds the history of database x", from) { Refusal = Archiver.Actors.Ports.ArchivingRefusals.ForeignHistory });

        await AwaitAssertAsync(async () =>
        {
            var status = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status!.Archiver!;
            Assert.Equal(DatabaseArchiverPhase.Blocked, status.Phase);
            var archiving = Assert.Single(status.Conditions!, c => c.Type == ArchivingHealth.ConditionType);
            Assert.Equal((ConditionStatus.False, "ForeignHistory"), (archiving.Status, archiving.Reason));
            Assert.Contains("already holds the history", archiving.Message, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10));

        _workloads.Report(Fixtures.DatabaseId, new Ports.ArchivingReport("rs0", from, from.AddMinutes(1), TimeSpan.FromMilliseconds(300), TimeSpan.FromHours(5), null, from.AddMinutes(1)));
        await AwaitAssertAsync(async () =>
            Assert.Equal(DatabaseArchiverPhase.Archiving, (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status!.Archiver!.Phase), TimeSpan.FromSeconds(10));
    }

    private static Ports.ArchivingSpec Spec(string uid) =>
        new(new ResourceId("stash", "local-storage"), "db/MongoDB/demo/mg-rs", "h", TimeSpan.FromSeconds(1), 1 << 24, uid);

    private sealed class WindowsIndex : ReceiveActor
    {
        public WindowsIndex(Messages.Protocol.StorageIndexes.RecoverableWindowsReply reply) =>
            Receive<Messages.Protocol.StorageIndexes.GetRecoverableWindows>(_ => Sender.Tell(reply));
    }

    private async Task<IActorRef> StartAsync(string fullBackupExtra, bool pause = false, DatabaseSettings? settings = null, string? retentionPolicy = null, bool cached = false, MongoDBStatus? status = null)
    {
        var archiver = Fixtures.Archiver(extraSpec: "");
        var yamlArchiver = Messages.Manifests.ManifestReader.Read($"""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {"{"}name: archiver-demo, namespace: kubedb{"}"}
            spec:
              pause: {(pause ? "true" : "false")}
              {(retentionPolicy is null ? "" : $"retentionPolicy: {{name: {retentionPolicy}}}")}
              fullBackup:
                driver: Logical
                {fullBackupExtra}
              backupStorage: {"{"}ref: {"{"}name: local-storage, namespace: stash{"}}"}
            """);
        Assert.True(yamlArchiver.IsValid, string.Join("\n", yamlArchiver.Errors));
        archiver = (MongoDBArchiver)yamlArchiver.Resources[0];
        var db = Fixtures.Database();
        db.Metadata.Annotations = new Dictionary<string, string> { [ApiGroups.SpecHashAnnotation] = SpecHash.Compute(archiver.Spec!) };
        db = db with { Spec = db.Spec! with { Archiver = new DatabaseArchiverRef { Ref = new ObjectRef { Name = "archiver-demo", Namespace = "kubedb" } } } };
        _store = await Fixtures.StoreWithAsync(archiver, db);
        if (status is not null)
        {
            // As a client writes it: on the version it read (an update without one is refused).
            var stored = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
            await _store.ReplaceStatusAsync(stored with { Status = status });
        }

        if (cached)
        {
            _cache = new Watching.ResourceCache(_store).Start();
            await _cache.Synced;
        }

        var entity = Sys.ActorOf(DatabaseActor.Props(Fixtures.DatabaseId, Ports(), settings ?? new DatabaseSettings(), TimeProvider.System));
        return entity;
    }

    private static Snapshot FullBackupSnapshot(string name, string database, string backupId) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = name, NamespaceProperty = "demo" },
        Spec = new SnapshotSpec
        {
            Type = SnapshotType.FullBackup,
            SnapshotId = backupId,
            AppRef = new TypedObjectRef { ApiGroup = ApiGroups.KubeDb, Kind = MongoDB.KindName, Name = database, Namespace = "demo" },
            Repository = $"{database}-full",
        },
    };

    /// <summary>
    /// Answers one retention run as the StorageIndex does: the dry run the entity asks first (what would go, with the
    /// volume snapshots of the backups that go), then the run itself. Returns the run's request.
    /// </summary>
    private static async Task<Messages.Protocol.StorageIndexes.ApplyRetention> AnswerRetentionAsync(
        TestProbe index, Func<Messages.Protocol.StorageIndexes.ApplyRetention, Messages.Protocol.StorageIndexes.RetentionReply> reply, IReadOnlyList<Messages.Protocol.StorageIndexes.VolumeSnapshotRef>? snapshots = null)
    {
        var preview = await index.FishForMessageAsync<Messages.Protocol.StorageIndexes.ApplyRetention>(r => r.DryRun, TimeSpan.FromSeconds(10));
        index.Reply(reply(preview) with { Deleted = 0, VolumeSnapshots = snapshots ?? [] });
        var request = await index.FishForMessageAsync<Messages.Protocol.StorageIndexes.ApplyRetention>(r => !r.DryRun, TimeSpan.FromSeconds(10));
        index.Reply(reply(request) with { VolumeSnapshots = snapshots ?? [] });
        return request;
    }

    private DatabasePorts Ports(Ports.IResourceStore? store = null) => new(store ?? _store, _runner, new OpsRequests.OpsRequestSteps(_store, _workloads, TimeProvider.System), _index, new Ports.NoRestoreRunner(), _recording, _cache);

    private async Task<DatabaseState> StateAsync(IActorRef db, Func<DatabaseState, bool> condition)
    {
        DatabaseState? state = null;
        await AwaitAssertAsync(async () =>
        {
            state = await db.Ask<DatabaseState>(new GetDatabaseState(Fixtures.DatabaseId), TimeSpan.FromSeconds(3));
            Assert.True(condition(state));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(25));
        return state!;
    }
}
