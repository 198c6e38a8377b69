using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using k8s.Models;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// The restore adapter at the two ends of a restore that races KubeDB or a node's death: a target that is not
/// there yet is "unreachable" (the restore waits), never a failure; a restore run again after it finished is done,
/// without writing, and only its own: another database's restore into the same replica set is refused.
/// </summary>
public sealed class RestoreRunnerTests : IAsyncLifetime
{
    private const string Prefix = "db/MongoDB/demo/src";
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-restore-runner-").FullName;
    private readonly InMemoryResourceStore _store = new();
    private MongoEmulator _source = null!;
    private MongoEmulator _target = null!;
    private ObjectStoreProvider _stores = null!;
    private MongoConnections _connections = null!;

    private SecretFolder Secrets => new(Path.Combine(_folder, "secrets"));

    public async Task InitializeAsync()
    {
        _source = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        _target = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, ReplicaSetName = "rs1" });
        await _store.CreateAsync(new BackupStorage
        {
            ApiVersion = BackupStorage.ApiVersionName,
            Kind = BackupStorage.KindName,
            Metadata = new V1ObjectMeta { Name = "local", NamespaceProperty = "demo" },
            Spec = new BackupStorageSpec { Storage = new StorageBackend { Provider = StorageProvider.Local, Local = new LocalBackendSpec { MountPath = Path.Combine(_folder, "backups") } } },
        });
        _stores = new ObjectStoreProvider(_store, Secrets);
        _connections = new MongoConnections(_store, Secrets);

        // The history: a few documents and one full backup, on a timeline with an owner.
        var client = new MongoClient(_source.ConnectionString);
        await client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument("_id", i)));
        var store = await _stores.OpenAsync(new ResourceId("demo", "local"));
        var layout = new RepositoryLayout(Prefix);
        var timeline = await new RepositoryHistory(store, layout).OpenForArchivingAsync("uid-source", DateTimeOffset.UtcNow);
        await new LogicalBackup(client, store, layout, new LogicalBackupOptions { Component = "rs0", Timeline = timeline.Id, IncludeDatabase = d => d == "shop" }).RunAsync();
        ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
    }

    public async Task DisposeAsync()
    {
        await _connections.DisposeAsync();
        _stores.Dispose();
        await _source.DisposeAsync();
        await _target.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_target_whose_secret_is_not_made_yet_is_unreachable_not_failed()
    {
        var db = await TargetAsync("new", secret: "not-made-yet");

        var job = await JobAsync(db);
        var error = await Assert.ThrowsAsync<RestoreTargetUnreachableException>(() => Runner().RunAsync(job, new Progress<RestoreProgressReport>(), CancellationToken.None));

        Assert.Contains("cannot reach MongoDB demo/new yet", error.Message, StringComparison.Ordinal);
        Assert.Contains("not-made-yet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restore_run_again_after_it_finished_is_done_without_writing_and_another_databases_is_refused()
    {
        var db = await TargetAsync("new", secret: "target");
        var first = await Runner().RunAsync(await JobAsync(db), new Progress<RestoreProgressReport>(), CancellationToken.None);
        var target = new MongoClient(_target.ConnectionString);
        try
        {
            // What the database did after its restore: a run that wrote again would refuse a target that is not empty.
            await target.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument("_id", "after"));

            var again = await Runner().RunAsync(await JobAsync(db), new Progress<RestoreProgressReport>(), CancellationToken.None);

            Assert.Equal(first.BaseBackupId, again.BaseBackupId);
            Assert.Equal(21, await target.GetDatabase("shop").GetCollection<BsonDocument>("orders").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            Assert.Empty(await RestoreMarker.ListAsync(target));

            // The same replica set under another database's restore (another uid): not this one's to call done.
            var other = await TargetAsync("other", secret: "target");
            var otherJob = await JobAsync(other);
            var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => Runner().RunAsync(otherJob, new Progress<RestoreProgressReport>(), CancellationToken.None));
            Assert.Contains("not empty", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(target.Cluster);
        }
    }

    private MongoRestoreRunner Runner() => new(_stores, _connections, _store);

    /// <summary>The job a database entity gives its runner: the catalog's plan, recorded as its document.</summary>
    private async Task<RestoreJob> JobAsync(MongoDBResource db)
    {
        var storage = new ResourceId("demo", "local");
        var catalog = await RepositoryCatalog.LoadAsync(await _stores.OpenAsync(storage), new RepositoryLayout(Prefix));
        var plan = catalog.PlanRestore(RecoveryTarget.Immediate, DateTimeOffset.UtcNow).Plan!;
        var info = new PlanInfo(plan.Timeline, plan.BaseBackup.Id, plan.BaseBackup.ReplayAfter.ToString(), ["rs0"], plan.ChunkCount, plan.BytesToRead, Document: RestorePlanDocument.From(plan).ToJson());
        return new RestoreJob(ResourceId.Of(db), storage, Prefix, "immediate", Settings: null, info);
    }

    private async Task<MongoDBResource> TargetAsync(string name, string secret)
    {
        if (secret == "target") Secrets.Write(new ResourceId("demo", "target"), MongoConnections.UriKey, _target.ConnectionString);
        return await _store.CreateAsync(new MongoDBResource
        {
            ApiVersion = MongoDBResource.ApiVersionName,
            Kind = MongoDBResource.KindName,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "demo", Annotations = new Dictionary<string, string> { [MongoConnections.ConnectionSecretAnnotation] = secret } },
            Spec = new MongoDBSpec(),
        });
    }
}
