using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.VolumeSnapshots;
using k8s.Models;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// A restore whose base is a volume snapshot is checked before the database is even reached: its class and snapshot
/// must exist and the snapshot be ready to use (within a deadline), in another namespace a copy bound there, no database
/// map may be asked, and a node without a cluster refuses it; each is a refusal naming its cause.
/// </summary>
public sealed class SnapshotBaseRestoreRunnerTests : IAsyncLifetime
{
    private const string Prefix = "db/MongoDB/demo/mg";
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-snapshot-base-").FullName;
    private readonly InMemoryResourceStore _store = new();
    private ObjectStoreProvider _stores = null!;
    private MongoConnections _connections = null!;

    private SecretFolder Secrets => new(Path.Combine(_folder, "secrets"));

    public async Task InitializeAsync()
    {
        await _store.CreateAsync(new BackupStorage
        {
            ApiVersion = BackupStorage.ApiVersionName,
            Kind = BackupStorage.KindName,
            Metadata = new V1ObjectMeta { Name = "local", NamespaceProperty = "demo" },
            Spec = new BackupStorageSpec { Storage = new StorageBackend { Provider = StorageProvider.Local, Local = new LocalBackendSpec { MountPath = Path.Combine(_folder, "backups") } } },
        });
        _stores = new ObjectStoreProvider(_store, Secrets);
        _connections = new MongoConnections(_store, Secrets);

        // A CSISnapshotter backup, as its Job publishes it: no files, one VolumeSnapshot with its recorded position.
        var store = await _stores.OpenAsync(new ResourceId("demo", "local"));
        var layout = new RepositoryLayout(Prefix);
        var timeline = await new RepositoryHistory(store, layout).OpenForArchivingAsync("uid-source", DateTimeOffset.UtcNow);
        var at = DateTimeOffset.UtcNow;
        var ts = new OplogTimestamp((uint)at.ToUnixTimeSeconds(), 1);
        var writer = new FullBackupWriter(store, layout, new BackupStart("CSISnapshotter", ["rs0"], timeline.Id, at) { Origin = "mg-full-1-1" });
        writer.AddVolumeSnapshot(new VolumeSnapshotRecord("rs0", "demo", "mg-full-1-1", "csi-snapshots", "datadir-mg-1", "mg-1.mg-pods.demo.svc:27017",
            ts, at.ToUnixTimeMilliseconds(), 1 << 20, "snapcontent-1", "handle-1", "hostpath.csi.k8s.io", at, at));
        await writer.CompleteAsync(ts, at.ToUnixTimeMilliseconds(), at);
    }

    public async Task DisposeAsync()
    {
        await _connections.DisposeAsync();
        _stores.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_missing_class_or_snapshot_fails_naming_it_before_the_database_is_reached()
    {
        var snapshots = new ScriptedSnapshots { Failure = "VolumeSnapshotClass csi-snapshots (spec.fullBackup.csiSnapshotter.volumeSnapshotClassName) does not exist" };
        var db = await TargetAsync("demo");
        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(db, snapshots));
        Assert.Contains("backup", refused.Message, StringComparison.Ordinal);
        Assert.Contains("VolumeSnapshot demo/mg-full-1-1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("VolumeSnapshotClass csi-snapshots", refused.Message, StringComparison.Ordinal);
        Assert.Equal([("demo", "mg-full-1-1", "csi-snapshots")], snapshots.Asked);
    }

    [Fact]
    public async Task A_snapshot_that_never_becomes_ready_fails_saying_so_after_the_deadline()
    {
        var snapshots = new ScriptedSnapshots { NeverReady = true };
        var db = await TargetAsync("demo");
        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(db, snapshots, TimeSpan.FromMilliseconds(300)));
        Assert.Contains("did not become ready to use within", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_map_or_a_node_without_a_cluster_is_refused_without_asking_the_cluster()
    {
        var snapshots = new ScriptedSnapshots();
        var (mappedDb, embeddedDb) = (await TargetAsync("demo", "mapped"), await TargetAsync("demo", "embedded"));
        var mapped = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(mappedDb, snapshots, settings: new RestoreSettings([new DatabaseMapping("shop", "shop_copy")], null)));
        Assert.Contains(RestoreSettings.DatabasesAnnotation, mapped.Message, StringComparison.Ordinal);

        var embedded = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(embeddedDb, snapshots: null));
        Assert.Contains("only a node in a cluster", embedded.Message, StringComparison.Ordinal);
        Assert.Empty(snapshots.Asked);
    }

    [Fact]
    public async Task Into_another_namespace_the_snapshot_is_bound_again_there_and_the_restore_goes_on()
    {
        var snapshots = new ScriptedSnapshots();
        var db = await TargetAsync("dr");
        var unreachable = await Assert.ThrowsAsync<RestoreTargetUnreachableException>(() => RunAsync(db, snapshots));
        Assert.Contains("cannot reach MongoDB dr/mg-restored yet", unreachable.Message, StringComparison.Ordinal);
        var (into, source) = Assert.Single(snapshots.Copied);
        Assert.Equal(("dr", "demo", "mg-full-1-1", "handle-1"), (into, source.Namespace, source.Name, source.SnapshotHandle));
    }

    [Fact]
    public async Task A_copy_that_cannot_be_bound_fails_naming_why_before_the_database_is_reached()
    {
        var snapshots = new ScriptedSnapshots { Failure = "VolumeSnapshot dr/mg-full-1-1 exists and is not the copy of the backup's snapshot; delete it or restore into another namespace" };
        var db = await TargetAsync("dr");
        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(db, snapshots));
        Assert.Contains("backup", refused.Message, StringComparison.Ordinal);
        Assert.Contains("exists and is not the copy", refused.Message, StringComparison.Ordinal);
        Assert.Single(snapshots.Copied);
    }

    [Fact]
    public async Task A_database_asking_less_storage_than_the_snapshot_holds_is_refused_naming_the_field()
    {
        var snapshots = new ScriptedSnapshots();
        var db = await TargetAsync("demo", "small", storage: "512Ki");
        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(db, snapshots));
        Assert.Contains("spec.storage.resources.requests.storage 512Ki is smaller", refused.Message, StringComparison.Ordinal);
        Assert.Contains("1.0 MiB (1048576 bytes)", refused.Message, StringComparison.Ordinal);
        Assert.Empty(snapshots.Asked);
    }

    [Fact]
    public async Task A_database_waiting_for_volumes_its_provisioner_cannot_make_says_the_provisioners_reason_then_fails_with_it()
    {
        const string Warning = "claim demo/datadir-mg-restored-1 is Pending: ProvisioningFailed: error getting handle for DataSource Type VolumeSnapshot by Name mg-full-1-1: snapshotcontent snapcontent-1 for snapshot mg-full-1-1 is not handled by CSI driver of StorageClass slow";
        var db = await TargetAsync("demo");

        // Said for a while: still a wait, the provisioner retries.
        var recent = new ScriptedSnapshots { Trouble = new ClaimTrouble(Warning, DateTimeOffset.UtcNow.AddSeconds(-30)) };
        var unreachable = await Assert.ThrowsAsync<RestoreTargetUnreachableException>(() => RunAsync(db, recent, TimeSpan.FromMinutes(1)));
        Assert.Equal($"cannot reach MongoDB demo/mg-restored yet: {Warning}", unreachable.Message);
        Assert.Equal(["datadir-mg-restored-0", "datadir-mg-restored-1", "datadir-mg-restored-2"], recent.TroubleAsked);

        // The same warning for longer than a snapshot may take to be ready: the provisioner's answer, the restore fails.
        var settled = new ScriptedSnapshots { Trouble = new ClaimTrouble(Warning, DateTimeOffset.UtcNow.AddMinutes(-2)) };
        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RunAsync(db, settled, TimeSpan.FromMinutes(1)));
        Assert.StartsWith("the volumes of MongoDB demo/mg-restored cannot be made from backup ", refused.Message, StringComparison.Ordinal);
        Assert.Contains(Warning, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ready_snapshot_lets_the_restore_go_on_to_its_database()
    {
        var snapshots = new ScriptedSnapshots();
        // Past the checks, the restore looks for its database's secret, not made yet: it waits, nothing failed.
        var db = await TargetAsync("demo");
        var unreachable = await Assert.ThrowsAsync<RestoreTargetUnreachableException>(() => RunAsync(db, snapshots));
        Assert.Contains("cannot reach MongoDB demo/mg-restored yet", unreachable.Message, StringComparison.Ordinal);
        Assert.Single(snapshots.Asked);
    }

    private async Task<RestoreOutcome> RunAsync(MongoDBResource db, IVolumeSnapshotter? snapshots, TimeSpan? readyWait = null, RestoreSettings? settings = null)
    {
        var storage = new ResourceId("demo", "local");
        var catalog = await RepositoryCatalog.LoadAsync(await _stores.OpenAsync(storage), new RepositoryLayout(Prefix));
        var plan = catalog.PlanRestore(RecoveryTarget.Immediate, DateTimeOffset.UtcNow).Plan!;
        var info = new PlanInfo(plan.Timeline, plan.BaseBackup.Id, plan.BaseBackup.ReplayAfter.ToString(), ["rs0"], plan.ChunkCount, plan.BytesToRead, Document: RestorePlanDocument.From(plan).ToJson());
        var job = new RestoreJob(ResourceId.Of(db), storage, Prefix, "immediate", settings ?? new RestoreSettings(null, "not-made-yet"), info);
        return await new MongoRestoreRunner(_stores, _connections, _store, snapshots, readyWait).RunAsync(job, new Progress<RestoreProgressReport>(), CancellationToken.None);
    }

    private async Task<MongoDBResource> TargetAsync(string @namespace, string name = "mg-restored", string? storage = null) =>
        await _store.GetAsync<MongoDBResource>(new ResourceId(@namespace, name)) ?? await _store.CreateAsync(new MongoDBResource
        {
            ApiVersion = MongoDBResource.ApiVersionName,
            Kind = MongoDBResource.KindName,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace },
            Spec = new MongoDBSpec
            {
                Other = new Dictionary<string, System.Text.Json.JsonElement>
                {
                    ["replicas"] = System.Text.Json.JsonSerializer.SerializeToElement(3),
                    ["storage"] = System.Text.Json.JsonSerializer.SerializeToElement(new { resources = new { requests = new { storage = storage ?? "1Gi" } } }),
                },
            },
        });

    /// <summary>The cluster's answers about the snapshot, as a test sets them; records what it was asked.</summary>
    private sealed class ScriptedSnapshots : IVolumeSnapshotter
    {
        public string? Failure { get; init; }

        public bool NeverReady { get; init; }

        public List<(string Namespace, string Name, string Class)> Asked { get; } = [];

        public List<(string Namespace, VolumeSnapshotRecord Source)> Copied { get; } = [];

        public ClaimTrouble? Trouble { get; init; }

        public List<string> TroubleAsked { get; } = [];

        public Task<ClaimTrouble?> ClaimTroubleAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken)
        {
            TroubleAsked.AddRange(claims);
            return Task.FromResult(Trouble);
        }

        public async Task<VolumeSnapshotReady> BindCopyAsync(VolumeSnapshotRecord source, string @namespace, CancellationToken cancellationToken)
        {
            Copied.Add((@namespace, source));
            return await WaitRestorableAsync(@namespace, source.Name, source.ClassName, cancellationToken);
        }

        public Task DeleteCopyAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task WaitClaimsMadeAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();

        public async Task<VolumeSnapshotReady> WaitRestorableAsync(string @namespace, string name, string className, CancellationToken cancellationToken)
        {
            Asked.Add((@namespace, name, className));
            if (Failure is { } failure) throw new VolumeSnapshotFailedException(failure);
            if (NeverReady) await Task.Delay(Timeout.Infinite, cancellationToken);
            return new VolumeSnapshotReady(1 << 20, "snapcontent-1", "handle-1", "hostpath.csi.k8s.io", DateTimeOffset.UtcNow);
        }

        public Task PrecheckAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CreateAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DateTimeOffset> WaitCutAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VolumeSnapshotReady> WaitReadyAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VolumeSnapshotState> StateOfAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
