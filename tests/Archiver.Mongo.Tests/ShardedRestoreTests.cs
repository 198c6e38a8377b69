using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Mongo.Sharding;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A sharded cluster archived per replica set, backed up once, and restored to a moment between two rounds of writes
/// (a migration and a transaction across shards in the first): through the restored cluster's router, every
/// collection equals the source at that moment, documents are on the shards the restored catalog says, and no
/// document shows twice.
/// </summary>
public sealed class ShardedRestoreTests : IAsyncLifetime
{
    private ShardedClusters _clusters = null!;
    private ShardedMongoEmulator _source = null!;
    private ShardedMongoEmulator _target = null!;
    private MongoClient _router = null!;
    private MongoClient _targetRouter = null!;

    public async Task InitializeAsync()
    {
        _clusters = await ShardedClusters.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, PeriodicNoopInterval = null });
        (_source, _target, _router, _targetRouter) = (_clusters.Source, _clusters.Target, _clusters.Router, _clusters.TargetRouter);
    }

    public async Task DisposeAsync() => await _clusters.DisposeAsync();

    [Fact]
    public async Task A_restore_between_two_rounds_equals_the_source_then_on_every_shard()
    {
        using var repository = new TestRepository();
        var admin = _router.GetDatabase("admin");
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.orders" }, { "key", new BsonDocument("_id", "hashed") } });
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.events" }, { "key", new BsonDocument("k", 1) } });
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "shop.events" }, { "middle", new BsonDocument("k", 50) } });
        var orders = _router.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        var events = _router.GetDatabase("shop").GetCollection<BsonDocument>("events");
        var people = _router.GetDatabase("crm").GetCollection<BsonDocument>("people");
        await using var archivers = new ClusterArchivers(_source, repository);
        await orders.InsertManyAsync(Enumerable.Range(0, 60).Select(i => new BsonDocument { { "_id", i }, { "total", i } }));
        await events.InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "k", i } }));
        await people.InsertManyAsync(Enumerable.Range(0, 5).Select(i => new BsonDocument("_id", i)));

        var backup = await BackupAsync(repository);

        // Round 1: a migration, a transaction across both shards, updates and deletes everywhere.
        var owner = _source.ChunkCounts("shop.events").Single(c => c.Value == 2).Key;
        var other = _source.ShardNames.Single(n => n != owner);
        await _source.MoveChunkAsync("shop.events", new BsonDocument("k", 70), other);
        using (var session = await _router.StartSessionAsync())
        {
            session.StartTransaction();
            await events.UpdateOneAsync(session, new BsonDocument("k", 10), Builders<BsonDocument>.Update.Set("txn", 1));
            await events.UpdateOneAsync(session, new BsonDocument("k", 90), Builders<BsonDocument>.Update.Set("txn", 1));
            await session.CommitTransactionAsync();
        }

        await orders.UpdateManyAsync(new BsonDocument("total", new BsonDocument("$lt", 30)), Builders<BsonDocument>.Update.Inc("total", 1000));
        await orders.DeleteManyAsync(new BsonDocument("_id", new BsonDocument("$gte", 55)));
        await people.InsertOneAsync(new BsonDocument("_id", 99));
        var at = Newest(_source);
        var expected = await ReadAllAsync(_router);
        var chunksAt = _source.ChunkCounts("shop.events");

        // Round 2: all of it after the target.
        await _source.MoveChunkAsync("shop.events", new BsonDocument("k", 10), other);
        await orders.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty);
        await events.UpdateManyAsync(FilterDefinition<BsonDocument>.Empty, Builders<BsonDocument>.Update.Set("late", true));
        await people.InsertOneAsync(new BsonDocument("_id", 100));
        await archivers.WaitArchivedAsync(Newest(_source));

        var report = await new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget).RunAsync(RecoveryTarget.AtTs(at));

        Assert.Equal(backup.Id, report.BackupId);
        Assert.Equal(["configRepl", "shard0", "shard1"], report.Components.Keys.Order());
        var restored = await ReadAllAsync(_targetRouter);
        Assert.Equal(expected.Keys, restored.Keys);
        foreach (var (ns, documents) in expected)
        {
            Assert.Equal(documents, restored[ns]);
        }

        Assert.Equal(chunksAt, _target.ChunkCounts("shop.events"));
        var onShards = _target.Shards.Select(s => s.CaptureData().Databases["shop"]["events"].Select(d => d["_id"].AsInt32).ToHashSet()).ToList();
        Assert.Empty(onShards[0].Intersect(onShards[1]));
        Assert.Equal(100, onShards.Sum(s => s.Count));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_transaction_across_shards_is_whole_at_a_target_between_its_commit_entries_or_absent_before_its_commit_time(bool atFirstCommit)
    {
        using var repository = new TestRepository();
        var admin = _router.GetDatabase("admin");
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "bank.accounts" }, { "key", new BsonDocument("k", 1) } });
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "bank.accounts" }, { "middle", new BsonDocument("k", 0) } });
        var owner = _source.ChunkCounts("bank.accounts").Single(c => c.Value == 2).Key;
        await _source.MoveChunkAsync("bank.accounts", new BsonDocument("k", 1), _source.ShardNames.Single(n => n != owner));
        var accounts = _router.GetDatabase("bank").GetCollection<BsonDocument>("accounts");
        await using var archivers = new ClusterArchivers(_source, repository);
        await accounts.InsertManyAsync([new BsonDocument { { "_id", "a" }, { "k", -1 }, { "balance", 100 } }, new BsonDocument { { "_id", "b" }, { "k", 1 }, { "balance", 0 } }]);
        await BackupAsync(repository);
        var before = await ReadAllAsync(_router, "bank.accounts");

        using (var session = await _router.StartSessionAsync())
        {
            session.StartTransaction();
            await accounts.UpdateOneAsync(session, new BsonDocument("k", -1), Builders<BsonDocument>.Update.Inc("balance", -40));
            await accounts.UpdateOneAsync(session, new BsonDocument("k", 1), Builders<BsonDocument>.Update.Inc("balance", 40));
            await session.CommitTransactionAsync();
        }

        var after = await ReadAllAsync(_router, "bank.accounts");
        await accounts.UpdateManyAsync(FilterDefinition<BsonDocument>.Empty, Builders<BsonDocument>.Update.Set("late", true));
        await archivers.WaitArchivedAsync(Newest(_source));

        // Each shard logged a prepare, then a commit; the first commit entry is after the commit time both share.
        var entries = _source.Shards.Select(s => s.ReadOplog().Where(e => e["ns"] == "admin.$cmd" && e.Contains("lsid")).ToList()).ToList();
        var commits = entries.Select(e => e.Single(x => x["o"].AsBsonDocument.Contains("commitTransaction"))).OrderBy(c => c["ts"]).ToList();
        var prepares = entries.Select(e => e.Single(x => x["o"].AsBsonDocument.Contains("prepare"))).OrderBy(c => c["ts"]).ToList();
        var at = atFirstCommit ? OplogFields.ToStorage(commits[0]["ts"].AsBsonTimestamp) : OplogFields.ToStorage(prepares[0]["ts"].AsBsonTimestamp);
        Assert.True(OplogFields.ToStorage(commits[1]["ts"].AsBsonTimestamp) > at);

        var report = await new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget).RunAsync(RecoveryTarget.AtTs(at));

        var restored = await ReadAllAsync(_targetRouter, "bank.accounts");
        Assert.Equal(atFirstCommit ? after["bank.accounts"] : before["bank.accounts"], restored["bank.accounts"]);
        Assert.Equal(atFirstCommit ? 2 : 0, report.Components.Values.Sum(r => r.TransactionsApplied));
    }

    [Fact]
    public async Task A_cluster_whose_shards_are_named_otherwise_is_restored_with_the_catalog_under_its_names()
    {
        using var repository = new TestRepository();
        var admin = _router.GetDatabase("admin");
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.events" }, { "key", new BsonDocument("k", 1) } });
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "shop.events" }, { "middle", new BsonDocument("k", 50) } });
        var events = _router.GetDatabase("shop").GetCollection<BsonDocument>("events");
        var people = _router.GetDatabase("crm").GetCollection<BsonDocument>("people");
        await using var archivers = new ClusterArchivers(_source, repository);
        await events.InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "k", i } }));
        await people.InsertManyAsync(Enumerable.Range(0, 5).Select(i => new BsonDocument("_id", i)));
        await BackupAsync(repository);
        var owner = _source.ChunkCounts("shop.events").Single(c => c.Value == 2).Key;
        await _source.MoveChunkAsync("shop.events", new BsonDocument("k", 70), _source.ShardNames.Single(n => n != owner));
        await events.UpdateManyAsync(FilterDefinition<BsonDocument>.Empty, Builders<BsonDocument>.Update.Set("moved", true));
        await archivers.WaitArchivedAsync(Newest(_source));
        var expected = await ReadAllAsync(_router, "shop.events", "crm.people");
        await using var renamed = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, PeriodicNoopInterval = null, ShardNamePrefix = "mg-sh-copy-shard" });
        var renamedRouter = TestClients.Create(renamed.ConnectionString);
        _clusters.Track(renamedRouter);

        await new ShardedRestore(repository.Store, repository.Layout, renamedRouter, set => _clusters.Connect(renamedRouter, set))
            .RunAsync(RecoveryTarget.AtTs(Newest(_source)));

        Assert.Equal(expected, await ReadAllAsync(renamedRouter, "shop.events", "crm.people"));
        var catalog = renamed.ConfigServer.CaptureData().Databases["config"];
        Assert.All(catalog["chunks"], c => Assert.StartsWith("mg-sh-copy-shard", c["shard"].AsString, StringComparison.Ordinal));
        Assert.All(catalog["chunks"].SelectMany(c => c["history"].AsBsonArray), h => Assert.StartsWith("mg-sh-copy-shard", h["shard"].AsString, StringComparison.Ordinal));
        Assert.All(catalog["databases"], d => Assert.StartsWith("mg-sh-copy-shard", d["primary"].AsString, StringComparison.Ordinal));
        // The i-th shard's data on the i-th shard: the same placement under the new names.
        Assert.Equal(_source.ChunkCounts("shop.events").Values, renamed.ChunkCounts("shop.events").Values);
        Assert.Equal(_source.Shards.Select(s => s.CaptureData().Databases["shop"]["events"].Count), renamed.Shards.Select(s => s.CaptureData().Databases["shop"]["events"].Count));
    }

    [Fact]
    public async Task A_restore_to_the_backups_own_consistent_point_holds_what_every_replica_set_had_then()
    {
        // The consistent point is one replica set's newest entry; the others' oplogs pass it only with a later entry.
        using var repository = new TestRepository();
        var orders = await HashedOrdersAsync();
        await using var archivers = new ClusterArchivers(_source, repository);
        await orders.InsertManyAsync(Enumerable.Range(0, 40).Select(i => new BsonDocument("_id", i)));
        var backup = await BackupAsync(repository);
        await orders.InsertOneAsync(new BsonDocument("_id", 100));
        await archivers.WaitArchivedAsync(Newest(_source));

        await new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget).RunAsync(RecoveryTarget.AtTs(backup.ConsistentAt));

        Assert.Equal(40, await _targetRouter.GetDatabase("shop").GetCollection<BsonDocument>("orders").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_target_of_another_shape_or_with_data_is_refused_before_anything_is_written()
    {
        using var repository = new TestRepository();
        await _router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.orders" }, { "key", new BsonDocument("_id", "hashed") } });
        await using var archivers = new ClusterArchivers(_source, repository);
        await _router.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 10).Select(i => new BsonDocument("_id", i)));
        await BackupAsync(repository);
        await archivers.WaitArchivedAsync(Newest(_source));
        await using var three = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = 3, PeriodicNoopInterval = null });
        var threeRouter = TestClients.Create(three.ConnectionString);
        _clusters.Track(threeRouter);
        await _targetRouter.GetDatabase("other").GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));

        var shape = await Assert.ThrowsAsync<RestoreRefusedException>(() => new ShardedRestore(repository.Store, repository.Layout, threeRouter, ConnectTarget).RunAsync(RecoveryTarget.Latest));
        var occupied = await Assert.ThrowsAsync<RestoreRefusedException>(() => new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget).RunAsync(RecoveryTarget.Latest));

        Assert.Contains("2 shard(s) (shard0, shard1)", shape.Message, StringComparison.Ordinal);
        Assert.Contains("the target has 3 (shard0, shard1, shard2)", shape.Message, StringComparison.Ordinal);
        Assert.All(three.Shards, s => Assert.DoesNotContain("shop", s.CaptureData().Databases.Keys));
        Assert.Contains("not empty", occupied.Message, StringComparison.Ordinal);
        Assert.Contains("other", occupied.Message, StringComparison.Ordinal);
        Assert.All(_target.Shards, s => Assert.DoesNotContain("shop", s.CaptureData().Databases.Keys));
    }

    [Fact]
    public async Task A_restore_past_a_shard_added_after_the_backup_is_refused_before_any_write_naming_the_shard()
    {
        using var repository = new TestRepository();
        var orders = await HashedOrdersAsync();
        await using var archivers = new ClusterArchivers(_source, repository);
        await orders.InsertManyAsync(Enumerable.Range(0, 40).Select(i => new BsonDocument("_id", i)));
        var backup = await BackupAsync(repository);
        var before = Newest(_source);

        // A shard joins, which nothing archives here; the balancer moves a chunk to it.
        var added = await _source.AddShardAsync();
        Assert.True(await _source.BalanceAsync() > 0);
        await orders.InsertManyAsync(Enumerable.Range(40, 40).Select(i => new BsonDocument("_id", i)));
        await archivers.WaitArchivedAsync(Newest(_source));

        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget).RunAsync(RecoveryTarget.Latest));

        Assert.Contains($"shard {added} was added", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"Backup {backup.Id} holds configRepl, shard0, shard1", refused.Message, StringComparison.Ordinal);
        Assert.All(_target.Shards, s => Assert.DoesNotContain("shop", s.CaptureData().Databases.Keys));
        Assert.Empty(await (await _targetRouter.GetDatabase("config").GetCollection<BsonDocument>("chunks").FindAsync(FilterDefinition<BsonDocument>.Empty)).ToListAsync());

        // Before it joined, the same backup restores.
        var report = await new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget).RunAsync(RecoveryTarget.AtTs(before));
        Assert.Equal(backup.Id, report.BackupId);
        Assert.Equal(40, await _targetRouter.GetDatabase("shop").GetCollection<BsonDocument>("orders").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_restore_stopped_part_way_and_run_again_under_its_id_resumes_and_equals_the_source()
    {
        using var repository = new TestRepository();
        var orders = await HashedOrdersAsync();
        await using var archivers = new ClusterArchivers(_source, repository);
        await orders.InsertManyAsync(Enumerable.Range(0, 200).Select(i => new BsonDocument { { "_id", i }, { "n", 0 } }));
        await BackupAsync(repository);
        await orders.UpdateManyAsync(new BsonDocument("_id", new BsonDocument("$lt", 50)), Builders<BsonDocument>.Update.Set("n", 1));
        await orders.InsertManyAsync(Enumerable.Range(200, 50).Select(i => new BsonDocument { { "_id", i }, { "n", 1 } }));
        var at = Newest(_source);
        var expected = await ReadAllAsync(_router, "shop.orders");
        await orders.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty);
        await archivers.WaitArchivedAsync(Newest(_source));
        // Every write to the target's replica sets is slow, so the first run is stopped part way.
        foreach (var set in _target.Shards.Append(_target.ConfigServer))
        {
            set.SlowDown("insert", TimeSpan.FromMilliseconds(150));
            set.SlowDown("applyOps", TimeSpan.FromMilliseconds(150));
        }

        var options = new RestoreOptions { RestoreId = "dr-1" };
        using (var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(400)))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget, options).RunAsync(RecoveryTarget.AtTs(at), stop.Token));
        }

        var left = await Task.WhenAll(_target.Shards.Append(_target.ConfigServer).Select(async set =>
            (await RestoreMarker.ListAsync(_clusters.Track(TestClients.Create(set.ConnectionString)))).Count));
        Assert.True(left.Sum() > 0, "the first run left its markers");

        var report = await new ShardedRestore(repository.Store, repository.Layout, _targetRouter, ConnectTarget, options).RunAsync(RecoveryTarget.AtTs(at));

        Assert.Equal(["configRepl", "shard0", "shard1"], report.Components.Keys.Order());
        Assert.Equal(expected["shop.orders"], (await ReadAllAsync(_targetRouter, "shop.orders"))["shop.orders"]);
    }

    private static OplogTimestamp Newest(ShardedMongoEmulator cluster) => ShardedClusters.Newest(cluster);

    /// <summary>The source's full backup now, on timeline 1.</summary>
    private Task<BackupManifest> BackupAsync(TestRepository repository) =>
        new ShardedLogicalBackup(_router, Connect, repository.Store, repository.Layout, new ShardedLogicalBackupOptions { Timeline = 1, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();

    /// <summary><c>shop.orders</c> of the source, sharded on a hashed <c>_id</c>.</summary>
    private async Task<IMongoCollection<BsonDocument>> HashedOrdersAsync()
    {
        await _router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.orders" }, { "key", new BsonDocument("_id", "hashed") } });
        return _router.GetDatabase("shop").GetCollection<BsonDocument>("orders");
    }

    private static async Task<Dictionary<string, List<BsonDocument>>> ReadAllAsync(MongoClient router, params string[] namespaces)
    {
        var result = new Dictionary<string, List<BsonDocument>>(StringComparer.Ordinal);
        foreach (var ns in namespaces.Length > 0 ? namespaces : ["shop.orders", "shop.events", "crm.people"])
        {
            var dot = ns.IndexOf('.', StringComparison.Ordinal);
            result[ns] = await router.GetDatabase(ns[..dot]).GetCollection<BsonDocument>(ns[(dot + 1)..])
                .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync();
        }

        return result;
    }

    private IMongoClient Connect(ReplicaSetEndpoint set) => _clusters.Connect(_router, set);

    private IMongoClient ConnectTarget(ReplicaSetEndpoint set) => _clusters.Connect(_targetRouter, set);
}
