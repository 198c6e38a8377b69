using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Sharding;
using Archiver.Storage.FullBackups;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A sharded cluster's logical backup on the sharded stand-in: one component per replica set, the catalog from the
/// config server, one cluster-wide consistent point every replica set's oplog has passed, the balancer paused and left
/// as it was found on every path.
/// </summary>
public sealed class ShardedBackupTests : IAsyncLifetime
{
    private ShardedMongoEmulator _cluster = null!;
    private MongoClient _router = null!;
    private readonly List<MongoClient> _clients = [];

    public async Task InitializeAsync()
    {
        _cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, PeriodicNoopInterval = null });
        _router = TestClients.Create(_cluster.ConnectionString);
        var admin = _router.GetDatabase("admin");
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.orders" }, { "key", new BsonDocument("_id", "hashed") } });
        await _router.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "total", i * 10 } }));
        await _router.GetDatabase("crm").GetCollection<BsonDocument>("people").InsertManyAsync(Enumerable.Range(0, 10).Select(i => new BsonDocument("_id", i)));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients.Append(_router))
        {
            TestClients.Dispose(client);
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task The_router_names_the_config_server_and_the_shards_with_their_replica_sets()
    {
        var topology = await ShardedTopology.DiscoverAsync(_router, CancellationToken.None);

        Assert.True(await ShardedTopology.IsRouterAsync(_router, CancellationToken.None));
        Assert.Equal("configRepl", topology.ConfigServer.ReplicaSet);
        Assert.Equal(["shard0", "shard1"], topology.Shards.Select(s => s.ReplicaSet));
        Assert.Equal(_cluster.Shard("shard1").Hosts, topology.Shards[1].Hosts);
        Assert.Equal(["configRepl", "shard0", "shard1"], topology.ReplicaSets.Select(s => s.Component));
        Assert.Throws<FormatException>(() => ReplicaSetEndpoint.Parse("shard9", "127.0.0.1:27017"));
    }

    [Fact]
    public async Task Every_replica_set_is_a_component_and_each_oplog_passes_the_one_consistent_point()
    {
        using var repository = new TestRepository();

        var manifest = await BackupAsync(repository);

        Assert.Equal(BackupStatus.Succeeded, manifest.Status);
        Assert.Equal(["configRepl", "shard0", "shard1"], manifest.Components);
        var byComponent = manifest.Files.GroupBy(f => f.Component).ToDictionary(g => g.Key, g => g.Select(f => f.Name).ToList());
        Assert.All(byComponent, g => Assert.All(g.Value, name => Assert.StartsWith(g.Key + "-", name, StringComparison.Ordinal)));
        var headers = await HeadersAsync(repository, manifest);
        Assert.Contains(("configRepl", "config.chunks"), headers);
        Assert.Contains(("configRepl", "config.collections"), headers);
        Assert.Contains(("configRepl", "config.databases"), headers);
        Assert.DoesNotContain(headers, h => h.Namespace is "config.shards" or "config.settings");
        Assert.Equal(2, headers.Count(h => h.Namespace == "shop.orders"));
        Assert.DoesNotContain(headers, h => h.Component != "configRepl" && h.Namespace.StartsWith("config.", StringComparison.Ordinal));
        Assert.Contains(headers, h => h.Namespace == "crm.people");
        foreach (var set in _cluster.Shards.Append(_cluster.ConfigServer))
        {
            var newest = OplogFields.ToStorage(set.ReadOplog()[^1]["ts"].AsBsonTimestamp);
            Assert.True(newest > manifest.ConsistentAt, $"{set.ConnectionString}: newest {newest}, consistent at {manifest.ConsistentAt}");
            Assert.True(OplogFields.ToStorage(set.MajorityCommitTimestamp) >= manifest.ConsistentAt);
        }

        Assert.True(manifest.ReplayAfter <= manifest.ConsistentAt);
    }

    [Fact]
    public async Task The_balancer_is_stopped_while_the_dump_runs_and_started_again_after()
    {
        using var repository = new TestRepository();

        await BackupAsync(repository);

        var settings = _cluster.ConfigServer.ReadOplog().Where(e => e["ns"] == "config.settings" && e["op"] == "u").Select(e => e["o"]["diff"]["u"]["stopped"].AsBoolean).ToList();
        Assert.Equal([true, false], settings);
        Assert.False(_cluster.BalancerStopped);
    }

    [Fact]
    public async Task A_failed_backup_starts_the_balancer_again_and_one_the_user_stopped_stays_stopped()
    {
        using (var failing = new TestRepository())
        {
            failing.Store.Down = true;
            await Assert.ThrowsAnyAsync<Exception>(() => BackupAsync(failing));
            Assert.False(_cluster.BalancerStopped);
        }

        await _router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("balancerStop", 1));
        using var repository = new TestRepository();
        var manifest = await BackupAsync(repository);

        Assert.Equal(BackupStatus.Succeeded, manifest.Status);
        Assert.True(_cluster.BalancerStopped);
    }

    private Task<BackupManifest> BackupAsync(TestRepository repository) =>
        new ShardedLogicalBackup(_router, Connect, repository.Store, repository.Layout, new ShardedLogicalBackupOptions { Timeline = 1, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();

    private MongoClient Connect(ReplicaSetEndpoint set)
    {
        var client = new MongoClient(ShardedTopology.SettingsFor(set, _router.Settings));
        _clients.Add(client);
        return client;
    }

    /// <summary>Each file's component and the namespace its header names.</summary>
    private static async Task<List<(string Component, string Namespace)>> HeadersAsync(TestRepository repository, BackupManifest manifest)
    {
        var result = new List<(string, string)>();
        foreach (var file in manifest.Files)
        {
            await using var content = await new FullBackupReader(repository.Local, repository.Layout).OpenFileAsync(manifest, file.Name, CancellationToken.None);
            var length = new byte[4];
            await content.ReadExactlyAsync(length);
            var bytes = new byte[BitConverter.ToInt32(length)];
            length.CopyTo(bytes, 0);
            await content.ReadExactlyAsync(bytes.AsMemory(4));
            var header = MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(bytes);
            result.Add((file.Component, $"{header["db"]}.{header["collection"]}"));
        }

        return result;
    }
}
