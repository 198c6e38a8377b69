using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Tests;

/// <summary>
/// The embedded node archiving a sharded cluster that gains a shard (addShard) while it runs: the node sees the new
/// replica set among the router's (getShardMap), starts its streams again with it, and the new shard's oplog is
/// archived under its own name, so data the balancer moves there is not left out of every archive.
/// </summary>
public sealed class ShardedTopologyChangeTests
{
    [Fact]
    public async Task A_shard_added_while_the_cluster_is_archived_gets_a_stream_of_its_own()
    {
        await using var cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = 3, PeriodicNoopInterval = TimeSpan.FromSeconds(1), BalancerInterval = null });
        var data = Directory.CreateTempSubdirectory("archiver-sharded-").FullName;
        var id = new ResourceId("demo", "mg-sh");
        var router = new MongoClient(cluster.ConnectionString);
        try
        {
            await using var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = data, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error);
            node.Secrets.Write(new ResourceId("demo", "mg-sh-connection"), MongoConnections.UriKey, cluster.ConnectionString);
            foreach (var name in new[] { "storage.yaml", "archiver.yaml", "mongodb-sharded.yaml" }) await NodeResources.ApplyExampleAsync(node, data, name);

            await NodeResources.WaitAsync(node, id, d => d.Status?.Archiver?.Components?.Count == 4, "archiving its config server and three shards", TimeSpan.FromSeconds(45));
            var admin = router.GetDatabase("admin");
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("enableSharding", "app"));
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "app.c" }, { "key", new BsonDocument("_id", "hashed") } });
            var collection = router.GetDatabase("app").GetCollection<BsonDocument>("c");
            await collection.InsertManyAsync(Enumerable.Range(0, 80).Select(i => new BsonDocument("_id", i)));
            var backup = await CliRun.RunAsync("backup", id.ToString(), "--node", node.Address.ToString());
            Assert.True(backup.ExitCode == 0, backup.Output + backup.Error);

            var added = await cluster.AddShardAsync();
            Assert.True(await cluster.BalanceAsync() > 0);
            await collection.InsertManyAsync(Enumerable.Range(80, 80).Select(i => new BsonDocument("_id", i)));

            var chunks = Path.Combine(data, "backups", "db", "MongoDB", "demo", "mg-sh", "oplog", added);
            var database = await NodeResources.WaitAsync(node, id, d => d.Status?.Archiver?.Components?.Any(c => c.Component == added) == true && Directory.Exists(chunks)
                && Directory.GetFiles(chunks, "*.oplog", SearchOption.AllDirectories).Length > 0, $"{added}'s oplog archived", TimeSpan.FromSeconds(45));

            Assert.Equal(["configRepl", "shard0", "shard1", "shard2", added], database.Status!.Archiver!.Components!.Select(c => c.Component).Order(StringComparer.Ordinal));
            Assert.True(cluster.Shard(added).CaptureData().Databases.ContainsKey("app"), "the balancer moved data to the new shard");

            // The backup taken before it joined does not hold it: its window ends there, and says so.
            var windows = await CliRun.RunAsync("windows", id.ToString(), "--node", node.Address.ToString());
            Assert.Contains($"{added} joined the cluster", windows.Output, StringComparison.Ordinal);
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(router.Cluster);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
