using Akka.Actor;
using Archiver.Actors.Archivers;
using Archiver.Actors.Databases;
using Archiver.Actors.Embedded;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Actors.Watching;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests;

/// <summary>The CR-driven loop in one process: resources change, the watcher tells the entities, they act.</summary>
public sealed class ControlPlaneSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestSystem.Actors, "archiver", output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly InProcessWorkloads _workloads = new();
    private readonly RecordingJanitor _janitor = new();
    private InMemoryResourceStore _store = null!;
    private ForbiddingStore _archiversStore = null!;
    private bool _storageAtStart = true;
    private bool _opsRequestsForbiddenAtStart;
    private Action<ScriptedSteps>? _script;
    private ScriptedSteps _steps = null!;
    private IActorRef _databases = ActorRefs.Nobody;

    [Fact]
    public async Task Every_selected_database_is_configured_and_the_archiver_reports_Current()
    {
        await StartAsync(Fixtures.Archiver(), Fixtures.Database(), Fixtures.Database(name: "mg-two"), Fixtures.Database(name: "untouched", selected: false));
        var hash = SpecHash.Compute(Fixtures.Archiver().Spec!);

        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
        foreach (var name in new[] { "mg-rs", "mg-two" })
        {
            var db = (await _store.GetAsync<MongoDB>(new ResourceId("demo", name)))!;
            Assert.Equal(hash, db.Metadata.Annotations![ApiGroups.SpecHashAnnotation]);
        }

        var untouched = (await _store.GetAsync<MongoDB>(new ResourceId("demo", "untouched")))!;
        Assert.False(untouched.Metadata.Annotations?.ContainsKey(ApiGroups.SpecHashAnnotation) ?? false);
        var refs = (await Archiver()).Status!.DatabaseRefs!;
        Assert.Equal(["mg-rs", "mg-two"], refs.Select(r => r.Name));
        Assert.All(refs, r => Assert.Equal(OpsRequestPhase.Successful, r.OpsReqPhase));
        Assert.Contains(ArchiverPlanner.Finalizer, (await Archiver()).Metadata.Finalizers!);
    }

    [Fact]
    public async Task A_configured_database_schedules_full_backups_on_its_archivers_cron()
    {
        await StartAsync(Fixtures.Archiver(schedule: "30 2 * * *"), Fixtures.Database());
        await AwaitAssertAsync(async () =>
        {
            var state = await _databases.Ask<DatabaseState>(new GetDatabaseState(Fixtures.DatabaseId), TimeSpan.FromSeconds(3));
            Assert.Equal("30 2 * * *", state.Schedule?.Cron);
        }, Patience);
    }

    [Fact]
    public async Task A_database_created_with_its_archiver_set_is_configured_by_its_own_entity_without_an_ops_request_or_restart()
    {
        var created = Databases.DatabaseMutator.Mutate(Fixtures.Database(), [Fixtures.Archiver()], [new NamespaceInfo("demo", new Dictionary<string, string>())]);
        Assert.Equal("archiver-demo", created.Spec!.Archiver!.Ref!.Name);
        await StartAsync(Fixtures.Archiver(), created);

        await AwaitAssertAsync(async () =>
        {
            var db = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
            Assert.True(db.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var hash) == true && hash == SpecHash.Compute(Fixtures.Archiver().Spec!));
            Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase);
        }, Patience);
        Assert.Empty(await _store.ListAsync<MongoDBOpsRequest>("demo"));
        Assert.Equal(0, _workloads.RestartsOf(Fixtures.DatabaseId));
        Assert.True(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
        Assert.NotNull(await _store.GetAsync<BackupConfiguration>(new ResourceId("demo", "mg-rs-archiver")));
    }

    [Fact]
    public async Task A_databases_BackupConfiguration_is_owned_by_it_and_goes_with_it_while_its_history_stays()
    {
        await StartAsync(Fixtures.Archiver(), Fixtures.Database());
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
        var db = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        var configurationId = new ResourceId("demo", "mg-rs-archiver");
        var snapshotId = new ResourceId("demo", "mg-rs-incremental");

        var owner = Assert.Single((await _store.GetAsync<BackupConfiguration>(configurationId))!.Metadata.OwnerReferences);
        Assert.Equal((MongoDB.ApiVersionName, MongoDB.KindName, "mg-rs", db.Metadata.Uid), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid));
        Assert.True(owner.Controller);
        Assert.True(owner.BlockOwnerDeletion);
        Assert.Null((await _store.GetAsync<Snapshot>(snapshotId))!.Metadata.OwnerReferences);

        await _store.DeleteAsync<MongoDB>(Fixtures.DatabaseId);

        await AwaitAssertAsync(async () => Assert.Null(await _store.GetAsync<BackupConfiguration>(configurationId)), Patience);
        // The oplog it describes is what a database restored under the name is recovered from: neither deleted nor wiped.
        Assert.Null((await _store.GetAsync<Snapshot>(snapshotId))!.Metadata.DeletionTimestamp);
        Assert.Empty(_janitor.Wiped);
    }

    [Fact]
    public async Task A_database_whose_labels_stop_matching_is_disabled()
    {
        await StartAsync(Fixtures.Archiver(), Fixtures.Database());
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);

        var db = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        db.Metadata.Labels = new Dictionary<string, string> { ["archiver"] = "false" };
        await _store.ReplaceAsync(db);

        await AwaitAssertAsync(async () =>
        {
            var now = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
            Assert.Null(now.Spec!.Archiver);
            Assert.Equal(DatabaseArchiverPhase.Disabled, now.Status?.Archiver?.Phase);
            Assert.Empty((await Archiver()).Status!.DatabaseRefs!);
        }, Patience);
        Assert.Null(await _store.GetAsync<BackupConfiguration>(new ResourceId("demo", "mg-rs-archiver")));
    }

    [Fact]
    public async Task A_failed_ops_request_blocks_the_database_until_someone_deletes_it()
    {
        await StartAsync(Fixtures.Archiver(), Fixtures.Database(), failFirstConfigure: true);
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Blocked, (await Archiver()).Status?.Phase), Patience);
        var failed = Assert.Single(await _store.ListAsync<MongoDBOpsRequest>("demo"));
        Assert.Equal(OpsRequestPhase.Failed, failed.Status!.Phase);

        // A resync must not create another request while the failed one is there. A reconcile creates its requests
        // before it writes the status: a status someone else cleared, written again, proves a later one ran.
        await _store.UpdateStatusAsync<MongoDBArchiver>(Fixtures.ArchiverId, a => a with { Status = a.Status! with { Phase = null } });
        await AwaitAssertAsync(async () => Assert.NotNull((await Archiver()).Status?.Phase), Patience);
        Assert.Single(await _store.ListAsync<MongoDBOpsRequest>("demo"));
        Assert.Equal(ArchiverPhase.Blocked, (await Archiver()).Status!.Phase);

        await _store.DeleteAsync<MongoDBOpsRequest>(ResourceId.Of(failed));
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
        Assert.Equal(OpsRequestPhase.Successful, Assert.Single(await _store.ListAsync<MongoDBOpsRequest>("demo")).Status!.Phase);
    }

    [Fact]
    public async Task A_database_configured_at_creation_says_what_it_waits_for_in_its_Configured_condition_then_that_it_is_configured()
    {
        _script = steps => steps.FailNext(OpsRequestStep.StartArchiving, new WaitingStepException("waiting for StatefulSet demo/mg-rs (KubeDB makes it)"));
        var created = Databases.DatabaseMutator.Mutate(Fixtures.Database(), [Fixtures.Archiver()], [new NamespaceInfo("demo", new Dictionary<string, string>())]);
        await StartAsync(Fixtures.Archiver(), created);

        await AwaitAssertAsync(async () =>
        {
            var status = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver;
            Assert.Equal(DatabaseArchiverPhase.Configuring, status?.Phase);
            var configured = Assert.Single(status!.Conditions!, c => c.Type == "Configured");
            Assert.Equal((ConditionStatus.False, "Waiting", "waiting for StatefulSet demo/mg-rs (KubeDB makes it); trying again in 5s"), (configured.Status, configured.Reason, configured.Message));
        }, Patience);
        await AwaitAssertAsync(async () =>
        {
            var status = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver;
            Assert.Equal(DatabaseArchiverPhase.Archiving, status?.Phase);
            Assert.Equal((ConditionStatus.True, "ConfiguredAtCreation"), status!.Conditions!.Where(c => c.Type == "Configured").Select(c => (c.Status, c.Reason)).Single());
        }, Patience);
    }

    [Fact]
    public async Task A_database_created_with_its_archiver_set_gets_its_BackupConfiguration_while_KubeDB_still_provisions_it()
    {
        // The BackupConfiguration is what the pods webhook looks for: made before KubeDB makes the pods, they are admitted
        // with the sidecar, whatever the StatefulSet's update strategy.
        TaskCompletionSource gate = null!;
        _script = steps => gate = steps.Hold(OpsRequestStep.CreateBackupConfiguration);
        var created = Databases.DatabaseMutator.Mutate(Fixtures.Database(), [Fixtures.Archiver()], [new NamespaceInfo("demo", new Dictionary<string, string>())]);
        await StartAsync(Fixtures.Archiver(), created);
        await _steps.Entered.GetOrAdd(OpsRequestStep.CreateBackupConfiguration, _ => new TaskCompletionSource()).Task.WaitAsync(Patience);
        await _store.UpdateStatusAsync<MongoDB>(Fixtures.DatabaseId, db => db with
        {
            Status = (db.Status ?? new MongoDBStatus()) with
            {
                Other = new Dictionary<string, System.Text.Json.JsonElement>(db.Status?.Other ?? new Dictionary<string, System.Text.Json.JsonElement>())
                {
                    ["phase"] = System.Text.Json.JsonSerializer.SerializeToElement("Provisioning"),
                },
            },
        });
        gate.SetResult();

        await AwaitAssertAsync(async () =>
        {
            Assert.NotNull(await _store.GetAsync<BackupConfiguration>(new ResourceId("demo", "mg-rs-archiver")));
            Assert.Equal(DatabaseArchiverPhase.Archiving, (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver?.Phase);
        }, Patience);
        Assert.Equal("Provisioning", (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.KubeDbPhase());
        Assert.Equal(1, _steps.Runs(OpsRequestStep.CreateBackupConfiguration));
    }

    [Fact]
    public async Task A_database_whose_configuration_at_creation_fails_says_why_and_keeps_trying_less_often()
    {
        _script = steps => steps.FailNext(OpsRequestStep.StartArchiving, new PermanentStepException("BackupStorage stash/local-storage: spec.storage.local.mountPath /backups is not a folder mounted here"));
        var created = Databases.DatabaseMutator.Mutate(Fixtures.Database(), [Fixtures.Archiver()], [new NamespaceInfo("demo", new Dictionary<string, string>())]);
        await StartAsync(Fixtures.Archiver(), created);

        await AwaitAssertAsync(async () =>
        {
            var configured = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Status?.Archiver?.Conditions?.SingleOrDefault(c => c.Type == "Configured");
            Assert.Equal((ConditionStatus.False, "ConfigurationFailed"), (configured?.Status, configured?.Reason));
            Assert.Equal("BackupStorage stash/local-storage: spec.storage.local.mountPath /backups is not a folder mounted here; trying again in 30s", configured!.Message);
        }, Patience);
        Assert.Equal(1, _steps.Runs(OpsRequestStep.StartArchiving));
        Assert.Empty(await _store.ListAsync<MongoDBOpsRequest>("demo"));
    }

    [Fact]
    public async Task An_archiver_naming_a_BackupStorage_that_does_not_exist_says_so_and_configures_once_it_is_created()
    {
        _storageAtStart = false;
        await StartAsync(Fixtures.Archiver(), Fixtures.Database());

        await AwaitAssertAsync(async () =>
        {
            var status = (await Archiver()).Status;
            Assert.Equal(ArchiverPhase.Blocked, status?.Phase);
            Assert.Equal("BackupStorage stash/local-storage does not exist; no database is configured until it does", status!.Conditions!.Single(c => c.Type == "Blocked").Message);
        }, Patience);
        Assert.Empty(await _store.ListAsync<MongoDBOpsRequest>("demo"));

        await _store.CreateAsync(Storage());

        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
        Assert.Equal(ConditionStatus.False, (await Archiver()).Status!.Conditions!.Single(c => c.Type == "Blocked").Status);
        Assert.True(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
    }

    [Fact]
    public async Task An_ops_request_RBAC_does_not_let_the_node_create_is_reported_in_the_API_servers_words_and_created_once_granted()
    {
        _opsRequestsForbiddenAtStart = true;
        await StartAsync(Fixtures.Archiver(), Fixtures.Database());

        await AwaitAssertAsync(async () =>
        {
            var ready = (await Archiver()).Status?.Conditions?.SingleOrDefault(c => c.Type == "Ready");
            Assert.Equal((ConditionStatus.False, "Forbidden"), (ready?.Status, ready?.Reason));
            Assert.Contains(ForbiddingStore.Refusal("demo"), ready!.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', ready.Message!);
        }, Patience);
        Assert.Empty(await _store.ListAsync<MongoDBOpsRequest>("demo"));

        _archiversStore.ForbidOpsRequestCreates = false;

        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
        // The request issued while refused, created by its name once allowed: one, not one per try.
        Assert.Equal(OpsRequestPhase.Successful, Assert.Single(await _store.ListAsync<MongoDBOpsRequest>("demo")).Status!.Phase);
        Assert.Equal("Current", (await Archiver()).Status!.Conditions!.Single(c => c.Type == "Ready").Reason);
    }

    [Fact]
    public async Task A_paused_archiver_configures_nothing_new_until_it_resumes()
    {
        var paused = Fixtures.Archiver() with { Spec = Fixtures.Archiver().Spec! with { Pause = true } };
        await StartAsync(paused, Fixtures.Database());
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Paused, (await Archiver()).Status?.Phase), Patience);
        Assert.Empty(await _store.ListAsync<MongoDBOpsRequest>("demo"));

        var archiver = await Archiver();
        await _store.ReplaceAsync(archiver with { Spec = archiver.Spec! with { Pause = false } });
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
    }

    [Theory]
    [InlineData(ArchiverDeletionPolicy.Delete)]
    [InlineData(ArchiverDeletionPolicy.WipeOut)]
    [InlineData(ArchiverDeletionPolicy.DoNotDelete)]
    public async Task Deleting_the_archiver_acts_by_its_deletion_policy(ArchiverDeletionPolicy policy)
    {
        var archiver = Fixtures.Archiver() with { Spec = Fixtures.Archiver().Spec! with { DeletionPolicy = policy } };
        await StartAsync(archiver, Fixtures.Database());
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);

        await _store.DeleteAsync<MongoDBArchiver>(Fixtures.ArchiverId);
        await AwaitAssertAsync(async () => Assert.Null(await _store.GetAsync<MongoDBArchiver>(Fixtures.ArchiverId)), Patience);

        var db = (await _store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        if (policy == ArchiverDeletionPolicy.DoNotDelete)
        {
            Assert.NotNull(db.Spec!.Archiver);
            Assert.True(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
        }
        else
        {
            Assert.Null(db.Spec!.Archiver);
            Assert.False(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
        }

        Assert.Equal(policy == ArchiverDeletionPolicy.WipeOut ? ["db/MongoDB/demo/mg-rs"] : [], _janitor.Wiped.Select(w => w.Prefix));
    }

    [Theory]
    [InlineData(ArchiverDeletionPolicy.WipeOut, true)]
    [InlineData(ArchiverDeletionPolicy.Delete, false)]
    public async Task Deleting_a_snapshot_acts_by_its_own_deletion_policy(ArchiverDeletionPolicy archiverPolicy, bool wiped)
    {
        var archiver = Fixtures.Archiver() with { Spec = Fixtures.Archiver().Spec! with { DeletionPolicy = archiverPolicy } };
        await StartAsync(archiver, Fixtures.Database());
        await AwaitAssertAsync(async () => Assert.Equal(ArchiverPhase.Current, (await Archiver()).Status?.Phase), Patience);
        var snapshotId = new ResourceId("demo", "mg-rs-incremental");
        Assert.Equal(wiped ? SnapshotDeletionPolicy.WipeOut : SnapshotDeletionPolicy.DoNotDelete, (await _store.GetAsync<Snapshot>(snapshotId))!.Spec!.DeletionPolicy);

        await _store.DeleteAsync<Snapshot>(snapshotId);
        await AwaitAssertAsync(async () => Assert.Null(await _store.GetAsync<Snapshot>(snapshotId)), Patience);
        Assert.Equal(wiped ? ["db/MongoDB/demo/mg-rs/oplog/"] : [], _janitor.Wiped.Select(w => w.Prefix));
    }

    private async Task StartAsync(MongoDBArchiver archiver, params MongoDB[] databases) => await StartAsync(archiver, false, databases);

    private async Task StartAsync(MongoDBArchiver archiver, MongoDB database, bool failFirstConfigure) => await StartAsync(archiver, failFirstConfigure, [database]);

    private async Task StartAsync(MongoDBArchiver archiver, bool failFirstConfigure, MongoDB[] databases)
    {
        _store = new InMemoryResourceStore();
        _archiversStore = new ForbiddingStore(_store) { ForbidOpsRequestCreates = _opsRequestsForbiddenAtStart };
        var cache = new ResourceCache(_store).Start();
        Sys.RegisterOnTermination(cache.Dispose);
        if (_storageAtStart) await _store.CreateAsync(Storage());
        _steps = new ScriptedSteps(new OpsRequestSteps(_store, _workloads, TimeProvider.System));
        if (failFirstConfigure) _steps.FailNext(OpsRequestStep.CreateBackupConfiguration, new PermanentStepException("storage credentials rejected"));
        _script?.Invoke(_steps);
        var settings = new OpsRequestSettings { MaxAttempts = 2, FirstBackoff = TimeSpan.FromMilliseconds(20) };
        var opsRequests = Sys.ActorOf(LocalRegion.Props(new OpsRequestMessageExtractor(), id => OpsRequestActor.Props(ResourceId.Parse(id), _steps, _store, settings, TimeProvider.System)));
        var archiverSettings = new ArchiverSettings { ResyncInterval = TimeSpan.FromMilliseconds(100) };
        var archivers = Sys.ActorOf(LocalRegion.Props(new ArchiverMessageExtractor(), id => ArchiverActor.Props(ResourceId.Parse(id), _archiversStore, cache, _janitor, new NoFullBackupRunner(), archiverSettings, TimeProvider.System)));
        _databases = Sys.ActorOf(LocalRegion.Props(new DatabaseMessageExtractor(), id => DatabaseActor.Props(ResourceId.Parse(id), new DatabasePorts(_store, new ScriptedBackupRunner(), _steps, ActorRefs.Nobody, new Ports.NoRestoreRunner(), _workloads), new DatabaseSettings(), TimeProvider.System)));
        Sys.ActorOf(ResourceWatcherActor.Props(_store, cache, _janitor, archivers, opsRequests, _databases));
        // Listed and watching: what is created next reaches the watcher (its subscription is given what the cache holds).
        await cache.Synced;
        foreach (var db in databases) await _store.CreateAsync(db);
        await _store.CreateAsync(archiver);
    }

    private async Task<MongoDBArchiver> Archiver() => (await _store.GetAsync<MongoDBArchiver>(Fixtures.ArchiverId))!;

    private static BackupStorage Storage() => (BackupStorage)ManifestReader.Read("""
        apiVersion: storage.kubestash.com/v1alpha1
        kind: BackupStorage
        metadata: {name: local-storage, namespace: stash}
        spec:
          storage: {provider: local, local: {mountPath: /backups}}
          usagePolicy: {allowedNamespaces: {from: All}}
        """).Resources[0];
}
