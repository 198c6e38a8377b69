using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Mongo.Sharding;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>Faults of a sharded cluster's archiving: one shard's stream down while its oplog rolled over.</summary>
public sealed class ShardedFaultTests : IAsyncLifetime
{
    private ShardedClusters _clusters = null!;
    private ShardedMongoEmulator _source = null!;
    private MongoClient _router = null!;
    private MongoClient _targetRouter = null!;

    public async Task InitializeAsync()
    {
        _clusters = await ShardedClusters.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, PeriodicNoopInterval = null, OplogSizeBytes = 30_000 });
        (_source, _router, _targetRouter) = (_clusters.Source, _clusters.Router, _clusters.TargetRouter);
    }

    public async Task DisposeAsync() => await _clusters.DisposeAsync();

    [Fact]
    public async Task A_shards_stream_down_while_its_oplog_rolled_over_breaks_the_clusters_time_line_there_and_names_the_shard()
    {
        using var repository = new TestRepository();
        await _router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "p.c" }, { "key", new BsonDocument("_id", "hashed") } });
        var coll = _router.GetDatabase("p").GetCollection<BsonDocument>("c");
        await using var archivers = new ClusterArchivers(_source, repository);
        await coll.InsertManyAsync(Enumerable.Range(0, 10).Select(i => new BsonDocument("_id", i)));
        await BackupAsync(repository);
        await archivers.WaitArchivedAsync(Newest());

        await archivers.StopAsync("shard1");
        var before = DateTimeOffset.UtcNow;
        for (var i = 10; i < 410; i++)
        {
            await coll.InsertOneAsync(new BsonDocument { { "_id", i }, { "pad", new string('x', 100) } });
        }

        var during = DateTimeOffset.UtcNow;
        archivers.StartAgain("shard1");
        await archivers.WaitArchivedAsync(Newest());

        var timeline = (await repository.CatalogAsync()).Timeline(1);
        var gap = Assert.Single(timeline.Components["shard1"].Gaps());
        Assert.Empty(timeline.Components["shard0"].Gaps());
        var window = timeline.Windows().Single();
        Assert.Equal("shard1", window.LimitedBy);
        Assert.Equal(gap.After, window.ToTs);
        var inside = Assert.IsType<RestoreRefusedException>(await Record.ExceptionAsync(() => Restore(repository).RunAsync(RecoveryTarget.AtTime(during))));
        Assert.Contains("of shard1", inside.Message, StringComparison.Ordinal);
        Assert.True(before < during);

        // A backup after the gap opens a window again; a restore to its end has every document.
        await BackupAsync(repository);
        await coll.InsertOneAsync(new BsonDocument("_id", 1000));
        await archivers.WaitArchivedAsync(Newest());
        await Restore(repository).RunAsync(RecoveryTarget.AtTs(Newest()));
        var restored = await _targetRouter.GetDatabase("p").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
        Assert.Equal(411, restored);
    }

    [Fact]
    public async Task A_shards_primary_failing_over_mid_backup_leaves_the_balancer_running_and_the_next_backup_restores()
    {
        await using var cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, MembersPerShard = 2, PeriodicNoopInterval = null });
        var router = TestClients.Create(cluster.ConnectionString);
        _clusters.Track(router);
        using var repository = new TestRepository();
        await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "p.c" }, { "key", new BsonDocument("_id", "hashed") } });
        await router.GetDatabase("p").GetCollection<BsonDocument>("c").InsertManyAsync(Enumerable.Range(0, 3000).Select(i => new BsonDocument { { "_id", i }, { "pad", new string('x', 200) } }));
        await using var archivers = new ClusterArchivers(cluster, repository);
        var shard = cluster.Shard("shard0");
        // Each batch of the dump's cursor on shard0 takes a while: the failover lands in the middle of it.
        shard.SlowDown("getMore", TimeSpan.FromMilliseconds(30));
        var backup = new ShardedLogicalBackup(router, Connect(router), repository.Store, repository.Layout, new ShardedLogicalBackupOptions { Timeline = 1, BatchSize = 100, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();
        await Task.Delay(150);
        shard.StepDown();
        shard.StepUp(1);
        var outcome = await Record.ExceptionAsync(() => backup);
        shard.SlowDown("getMore", TimeSpan.Zero);

        // Whichever way the dump took it (its reads retried on the new primary, or the backup failed and said so), the
        // balancer runs again and nothing half-written counts as a backup.
        Assert.False(cluster.BalancerStopped);
        var catalog = await repository.CatalogAsync();
        Assert.All(catalog.Timeline(1).SucceededBackups, b => Assert.Equal(["configRepl", "shard0", "shard1"], b.Components));
        if (outcome is not null)
        {
            Assert.Empty(catalog.Timeline(1).SucceededBackups);
        }

        var again = await new ShardedLogicalBackup(router, Connect(router), repository.Store, repository.Layout, new ShardedLogicalBackupOptions { Timeline = 1, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();
        var newest = ShardedClusters.Newest(cluster);
        await archivers.WaitArchivedAsync(newest);
        await new ShardedRestore(repository.Store, repository.Layout, _targetRouter, Connect(_targetRouter)).RunAsync(RecoveryTarget.AtTs(again.ConsistentAt));
        Assert.Equal(3000, await _targetRouter.GetDatabase("p").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    private Task BackupAsync(TestRepository repository) =>
        new ShardedLogicalBackup(_router, Connect(_router), repository.Store, repository.Layout, new ShardedLogicalBackupOptions { Timeline = 1, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();

    private ShardedRestore Restore(TestRepository repository) => new(repository.Store, repository.Layout, _targetRouter, Connect(_targetRouter));

    private Func<ReplicaSetEndpoint, IMongoClient> Connect(MongoClient router) => set => _clusters.Connect(router, set);

    private OplogTimestamp Newest() => ShardedClusters.Newest(_source);
}
