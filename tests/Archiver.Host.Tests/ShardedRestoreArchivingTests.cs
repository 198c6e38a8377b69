using System.Globalization;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Mongo.Restore;
using Archiver.Mongo.Sharding;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Tests;

/// <summary>
/// Same-history disaster recovery of a sharded cluster on the embedded node: a MongoDB created with
/// <c>spec.init.archiver</c> and selected by the archiver is restored first, then archived by the node, one stream per
/// replica set on a timeline branched from its source's, each replica set's stream starting right after its own
/// restore's last write (its lineage's insert in its own oplog): nothing the restore wrote is archived again, and
/// nothing the cluster wrote since is missed.
/// </summary>
public sealed class ShardedRestoreArchivingTests
{
    private const string SourcePrefix = "db/MongoDB/demo/mg-sh";

    [Fact]
    public async Task A_sharded_cluster_restored_and_selected_is_archived_by_each_replica_set_from_its_own_restores_last_write()
    {
        var options = new ShardedMongoEmulatorOptions { Shards = 3, PeriodicNoopInterval = TimeSpan.FromSeconds(1), BalancerInterval = null };
        await using var source = await ShardedMongoEmulator.StartAsync(options);
        await using var target = await ShardedMongoEmulator.StartAsync(options);
        var data = Directory.CreateTempSubdirectory("archiver-sharded-dr-").FullName;
        var router = new MongoClient(source.ConnectionString);
        var restoredRouter = new MongoClient(target.ConnectionString);
        var members = new List<MongoClient>();
        try
        {
            await using var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = data, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error);
            node.Secrets.Write(new ResourceId("demo", "mg-sh-connection"), MongoConnections.UriKey, source.ConnectionString);
            node.Secrets.Write(new ResourceId("demo", "mg-sh-restored-connection"), MongoConnections.UriKey, target.ConnectionString);
            foreach (var name in new[] { "storage.yaml", "archiver.yaml", "mongodb-sharded.yaml" }) await NodeResources.ApplyExampleAsync(node, data, name);

            var sourceId = new ResourceId("demo", "mg-sh");
            await NodeResources.WaitAsync(node, sourceId, d => d.Status?.Archiver?.Components?.Count == 4, "archiving");
            var admin = router.GetDatabase("admin");
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("enableSharding", "app"));
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "app.c" }, { "key", new BsonDocument("_id", "hashed") } });
            var collection = router.GetDatabase("app").GetCollection<BsonDocument>("c");
            await collection.InsertManyAsync(Enumerable.Range(0, 60).Select(i => new BsonDocument("_id", i)));
            var backup = await CliRun.RunAsync("backup", sourceId.ToString(), "--node", node.Address.ToString());
            Assert.True(backup.ExitCode == 0, backup.Output + backup.Error);
            await collection.InsertManyAsync(Enumerable.Range(60, 30).Select(i => new BsonDocument("_id", i)));
            await Task.Delay(50);
            var at = DateTimeOffset.UtcNow;
            await Task.Delay(50);
            await collection.InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument("_id", $"after-{i}")));
            await NodeResources.WaitAsync(node, sourceId, d => d.Status?.Archiver?.RecoverableWindows?.Any(w => w.End >= at) == true, "recoverable past the target");

            // Created restoring, and selected: restored first, then archived.
            await NodeResources.ApplyAsync(node, data, "restored.yaml", $$"""
                apiVersion: kubedb.com/v1alpha2
                kind: MongoDB
                metadata:
                  name: mg-sh-restored
                  namespace: demo
                  labels: {archiver: "true"}
                  annotations: {archiver.kubedb.com/connection-secret: mg-sh-restored-connection}
                spec:
                  version: "7.0.12"
                  shardTopology:
                    configServer: {replicas: 1}
                    mongos: {replicas: 1}
                    shard: {replicas: 1, shards: 3}
                  init:
                    archiver:
                      recoveryTimeStamp: "{{at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture)}}"
                      repository: {name: local-storage, namespace: demo}
                      prefix: {{SourcePrefix}}
                  deletionPolicy: WipeOut
                """);
            var restoredId = new ResourceId("demo", "mg-sh-restored");
            await NodeResources.WaitAsync(node, restoredId, d => d.Status?.Archiver?.Components?.Count == 4 && d.Status.Archiver.Phase == DatabaseArchiverPhase.Archiving, "restored, then archiving");
            var restored = restoredRouter.GetDatabase("app").GetCollection<BsonDocument>("c");
            Assert.Equal(90, await restored.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            await restored.InsertManyAsync(Enumerable.Range(1000, 10).Select(i => new BsonDocument("_id", i)));

            var store = new LocalFolderStore(Path.Combine(data, "backups"));
            var layout = new RepositoryLayout(SourcePrefix + "-restored");
            var sets = (await ShardedTopology.DiscoverAsync(restoredRouter, CancellationToken.None)).ReplicaSets;
            TimelineCatalog? branch = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((branch = (await RepositoryCatalog.LoadAsync(store, layout)).Timelines.SingleOrDefault()) is null || sets.Any(s => branch.Component(s.Component).Runs.Count == 0))
            {
                Assert.True(DateTime.UtcNow < deadline, "every replica set of the restored cluster archived");
                await Task.Delay(200);
            }

            Assert.Equal(SourcePrefix, branch.Record!.ParentPrefix);
            foreach (var set in sets)
            {
                var member = new MongoClient(ShardedTopology.SettingsFor(set, restoredRouter.Settings));
                members.Add(member);
                var lineage = await LineageRecord.ReadAsync(member, CancellationToken.None);
                Assert.NotNull(lineage?.ArchiveAfter);
                Assert.Equal(branch.Record.BranchedAfter, lineage!.BranchedAfter);
                Assert.Equal(lineage.ArchiveAfter, branch.Component(set.Component).Runs[0].From);
            }
        }
        finally
        {
            foreach (var client in members.Append(router).Append(restoredRouter)) ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
