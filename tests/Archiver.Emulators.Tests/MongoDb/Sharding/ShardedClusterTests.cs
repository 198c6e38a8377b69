using Archiver.Emulators.MongoDb.Sharding;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb.Sharding;

/// <summary>
/// The sharded cluster stand-in through MongoDB.Driver on its mongos: placement by range and hashed keys, the config
/// server's catalog, migrations with <c>fromMigrate</c> on both shards, two-phase commits and the gossiped clock.
/// </summary>
public sealed class ShardedClusterTests : IAsyncLifetime
{
    private ShardedMongoEmulator _cluster = null!;
    private MongoClient _client = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, PeriodicNoopInterval = null });
        _client = TestClients.Create(_cluster.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        TestClients.Dispose(_client);
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task The_driver_sees_a_router_and_getShardMap_names_the_config_server_and_every_shard()
    {
        var hello = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
        var map = (await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("getShardMap", 1)))["map"].AsBsonDocument;
        var shards = (await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("listShards", 1)))["shards"].AsBsonArray;

        Assert.Equal("isdbgrid", hello["msg"].AsString);
        Assert.Equal(["config", "shard0", "shard1"], map.Names);
        Assert.StartsWith("configRepl/127.0.0.1:", map["config"].AsString, StringComparison.Ordinal);
        Assert.Equal($"shard1/{_cluster.Shard("shard1").Hosts[0]}", map["shard1"].AsString);
        Assert.Equal(["shard0", "shard1"], shards.Select(s => s["_id"].AsString));
        Assert.Equal(ClusterType.Sharded, _client.Cluster.Description.Type);
    }

    [Fact]
    public void The_hash_of_a_shard_key_value_is_MongoDBs_own()
    {
        // src/mongo/db/hasher.cpp checks its own hash function with this value at startup.
        Assert.Equal(-944302157085130861L, MongoHash.Hash64(new BsonInt32(42)));
        Assert.Equal(MongoHash.Hash64(new BsonInt32(42)), MongoHash.Hash64(new BsonInt64(42)));
        Assert.Equal(MongoHash.Hash64(new BsonInt32(42)), MongoHash.Hash64(new BsonDouble(42.9)));
        Assert.NotEqual(MongoHash.Hash64(new BsonInt32(42)), MongoHash.Hash64(new BsonString("42")));
    }

    [Fact]
    public async Task A_hashed_collection_is_pre_split_across_the_shards_and_reads_merge_them()
    {
        var coll = await ShardAsync("hashed", new BsonDocument("_id", "hashed"));
        await coll.InsertManyAsync(Enumerable.Range(0, 200).Select(i => new BsonDocument { { "_id", i }, { "v", i % 7 } }));

        var onShards = _cluster.Shards.Select(s => s.CaptureData().Databases["hashed"]["c"].Count).ToList();
        var all = await coll.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync();
        var sevens = await coll.CountDocumentsAsync(new BsonDocument("v", 3));
        var one = await coll.Find(new BsonDocument("_id", 123)).SingleAsync();

        Assert.Equal(new Dictionary<string, int> { ["shard0"] = 2, ["shard1"] = 2 }, _cluster.ChunkCounts("hashed.c"));
        Assert.All(onShards, n => Assert.InRange(n, 60, 140));
        Assert.Equal(200, onShards.Sum());
        Assert.Equal(Enumerable.Range(0, 200), all.Select(d => d["_id"].AsInt32));
        Assert.Equal(Enumerable.Range(0, 200).Count(i => i % 7 == 3), sevens);
        Assert.Equal(123 % 7, one["v"].AsInt32);
    }

    [Fact]
    public async Task A_migration_logs_fromMigrate_inserts_on_the_recipient_deletes_on_the_donor_and_commits_on_the_config_server()
    {
        var coll = await ShardAsync("range", new BsonDocument("k", 1));
        await coll.InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "k", i } }));
        var primary = _cluster.ShardNames.Single(n => _cluster.Shard(n).CaptureData().Databases.GetValueOrDefault("range")?["c"].Count == 100);
        var other = _cluster.ShardNames.Single(n => n != primary);
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "range.c" }, { "middle", new BsonDocument("k", 60) } });

        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "moveChunk", "range.c" }, { "find", new BsonDocument("k", 70) }, { "to", other } });

        var donorOplog = _cluster.Shard(primary).ReadOplog().Where(e => e["ns"] == "range.c" && e.Contains("fromMigrate")).ToList();
        var recipientOplog = _cluster.Shard(other).ReadOplog().Where(e => e["ns"] == "range.c" && e.Contains("fromMigrate")).ToList();
        var chunks = _cluster.ConfigServer.CaptureData().Databases["config"]["chunks"];
        var configOplog = _cluster.ConfigServer.ReadOplog().Where(e => e["ns"] == "config.chunks" && e["op"] == "u").ToList();
        Assert.Equal(40, donorOplog.Count);
        Assert.All(donorOplog, e => Assert.Equal("d", e["op"].AsString));
        Assert.Equal(40, recipientOplog.Count);
        Assert.All(recipientOplog, e => Assert.Equal("i", e["op"].AsString));
        Assert.Equal(Enumerable.Range(60, 40), recipientOplog.Select(e => e["o"]["k"].AsInt32).Order());
        Assert.Equal([primary, other], chunks.OrderBy(c => c["min"]["k"].IsBsonMinKey ? int.MinValue : c["min"]["k"].AsInt32).Select(c => c["shard"].AsString));
        Assert.Equal(other, chunks.Single(c => c["min"]["k"] == 60)["history"][0]["shard"].AsString);
        Assert.NotEmpty(configOplog);
        Assert.Equal(60, _cluster.Shard(primary).CaptureData().Databases["range"]["c"].Count);
        Assert.Equal(100, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        // Routed by the new owner: a write after the move lands on the recipient.
        await coll.UpdateOneAsync(new BsonDocument("k", 75), Builders<BsonDocument>.Update.Set("moved", true));
        Assert.True(_cluster.Shard(other).CaptureData().Databases["range"]["c"].Single(d => d["k"] == 75).Contains("moved"));
    }

    [Fact]
    public async Task During_a_migration_in_flight_each_document_is_read_once_and_writes_reach_the_new_owner()
    {
        var coll = await ShardAsync("inflight", new BsonDocument("k", 1));
        await coll.InsertManyAsync(Enumerable.Range(0, 50).Select(i => new BsonDocument { { "_id", i }, { "k", i }, { "v", 0 } }));
        var primary = _cluster.ShardNames.Single(n => _cluster.Shard(n).CaptureData().Databases.ContainsKey("inflight") && _cluster.Shard(n).CaptureData().Databases["inflight"]["c"].Count == 50);
        var other = _cluster.ShardNames.Single(n => n != primary);
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "inflight.c" }, { "middle", new BsonDocument("k", 25) } });
        Task move;
        using (var hold = _cluster.HoldMigrations())
        {
            move = _cluster.MoveChunkAsync("inflight.c", new BsonDocument("k", 30), other);
            await hold.Reached.WaitAsync(TimeSpan.FromSeconds(10));

            // Cloned: the documents are on both shards, owned by the donor.
            Assert.Equal(25, _cluster.Shard(other).CaptureData().Databases["inflight"]["c"].Count);
            Assert.Equal(50, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            await coll.UpdateManyAsync(new BsonDocument("k", new BsonDocument("$gte", 40)), Builders<BsonDocument>.Update.Set("v", 1));
            await coll.DeleteOneAsync(new BsonDocument("k", 30));
            await coll.InsertOneAsync(new BsonDocument { { "_id", 99 }, { "k", 99 }, { "v", 2 } });
        }

        await move.WaitAsync(TimeSpan.FromSeconds(10));
        var recipient = _cluster.Shard(other).CaptureData().Databases["inflight"]["c"].ToDictionary(d => d["_id"].AsInt32);
        Assert.Equal(25, recipient.Count);
        Assert.False(recipient.ContainsKey(30));
        Assert.Equal(2, recipient[99]["v"].AsInt32);
        Assert.All(Enumerable.Range(40, 10), k => Assert.Equal(1, recipient[k]["v"].AsInt32));
        Assert.Equal(25, _cluster.Shard(primary).CaptureData().Databases["inflight"]["c"].Count);
        Assert.Equal(50, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_transaction_on_two_shards_commits_in_two_phases_with_one_commit_timestamp()
    {
        var coll = await ShardAsync("twophase", new BsonDocument("k", 1));
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "twophase.c" }, { "middle", new BsonDocument("k", 0) } });
        var owner = _cluster.ChunkCounts("twophase.c").Single(c => c.Value == 2).Key;
        var other = _cluster.ShardNames.Single(n => n != owner);
        await _cluster.MoveChunkAsync("twophase.c", new BsonDocument("k", 5), other);

        using (var session = await _client.StartSessionAsync())
        {
            session.StartTransaction();
            await coll.InsertOneAsync(session, new BsonDocument { { "_id", "left" }, { "k", -5 } });
            await coll.InsertOneAsync(session, new BsonDocument { { "_id", "right" }, { "k", 5 } });
            Assert.Equal(0, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            await session.CommitTransactionAsync();
        }

        var commits = new List<BsonTimestamp>();
        foreach (var shard in _cluster.Shards)
        {
            var entries = shard.ReadOplog().Where(e => e["ns"] == "admin.$cmd" && e.Contains("lsid")).ToList();
            Assert.Equal(2, entries.Count);
            var prepare = entries[0]["o"].AsBsonDocument;
            var commit = entries[1];
            Assert.True(prepare["prepare"].AsBoolean);
            Assert.Single(prepare["applyOps"].AsBsonArray);
            Assert.Equal(entries[0]["ts"], commit["prevOpTime"]["ts"]);
            var commitTimestamp = commit["o"]["commitTimestamp"].AsBsonTimestamp;
            Assert.True(commit["ts"].AsBsonTimestamp.CompareTo(commitTimestamp) > 0);
            Assert.True(commitTimestamp.CompareTo(entries[0]["ts"].AsBsonTimestamp) >= 0);
            commits.Add(commitTimestamp);
        }

        Assert.Single(commits.Distinct());
        Assert.Equal(2, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_transaction_on_one_shard_commits_as_on_a_replica_set()
    {
        var coll = await ShardAsync("onephase", new BsonDocument("k", 1));
        using (var session = await _client.StartSessionAsync())
        {
            session.StartTransaction();
            await coll.InsertOneAsync(session, new BsonDocument { { "_id", 1 }, { "k", 1 } });
            await coll.InsertOneAsync(session, new BsonDocument { { "_id", 2 }, { "k", 2 } });
            await session.CommitTransactionAsync();
        }

        var entries = _cluster.Shards.SelectMany(s => s.ReadOplog()).Where(e => e["ns"] == "admin.$cmd" && e.Contains("lsid")).ToList();
        var entry = Assert.Single(entries);
        Assert.False(entry["o"].AsBsonDocument.Contains("prepare"));
        Assert.Equal(2, entry["o"]["applyOps"].AsBsonArray.Count);
    }

    [Fact]
    public async Task A_migration_aborts_an_open_transaction_that_wrote_to_the_moving_chunk()
    {
        var coll = await ShardAsync("aborted", new BsonDocument("k", 1));
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "k", 1 } });
        var owner = _cluster.ChunkCounts("aborted.c").Single(c => c.Value == 1).Key;
        using var session = await _client.StartSessionAsync();
        session.StartTransaction();
        await coll.InsertOneAsync(session, new BsonDocument { { "_id", 2 }, { "k", 2 } });

        await _cluster.MoveChunkAsync("aborted.c", new BsonDocument("k", 1), _cluster.ShardNames.Single(n => n != owner));

        var error = await Assert.ThrowsAnyAsync<MongoException>(() => session.CommitTransactionAsync());
        Assert.True(error.HasErrorLabel("TransientTransactionError") || error is MongoCommandException { Code: 251 }, error.ToString());
        Assert.Equal(1, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task The_balancer_evens_chunk_counts_only_while_it_is_on()
    {
        var coll = await ShardAsync("balance", new BsonDocument("k", 1));
        await coll.InsertManyAsync(Enumerable.Range(0, 40).Select(i => new BsonDocument { { "_id", i }, { "k", i } }));
        foreach (var at in (int[])[10, 20, 30])
        {
            await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "balance.c" }, { "middle", new BsonDocument("k", at) } });
        }

        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("balancerStop", 1));
        var stopped = await _cluster.BalanceAsync();
        var status = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("balancerStatus", 1));
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("balancerStart", 1));
        var moved = await _cluster.BalanceAsync() + await _cluster.BalanceAsync();

        Assert.Equal(0, stopped);
        Assert.Equal("off", status["mode"].AsString);
        Assert.Equal(2, moved);
        Assert.Equal([2, 2], _cluster.ChunkCounts("balance.c").Values);
        Assert.Equal(40, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Contains(_cluster.ConfigServer.ReadOplog(), e => e["ns"] == "config.settings" && e["op"] == "u");
    }

    [Fact]
    public async Task The_cluster_time_a_router_gossips_orders_writes_across_shards()
    {
        var coll = await ShardAsync("clock", new BsonDocument("k", 1));
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "clock.c" }, { "middle", new BsonDocument("k", 0) } });
        var owner = _cluster.ChunkCounts("clock.c").Single(c => c.Value == 2).Key;
        var other = _cluster.ShardNames.Single(n => n != owner);
        await _cluster.MoveChunkAsync("clock.c", new BsonDocument("k", 5), other);

        // The owner of k < 0 is pushed far ahead (as a shard whose clock ran ahead); the next write elsewhere follows it.
        var ahead = new BsonTimestamp((int)DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(), 1);
        await _cluster.Shard(owner).RunAsync("admin", new BsonDocument { { "ping", 1 }, { "$clusterTime", new BsonDocument { { "clusterTime", ahead }, { "signature", new BsonDocument() } } } }, CancellationToken.None);
        await coll.InsertOneAsync(new BsonDocument { { "_id", "a" }, { "k", -1 } });
        await coll.InsertOneAsync(new BsonDocument { { "_id", "b" }, { "k", 1 } });

        var first = _cluster.Shard(owner).ReadOplog().Single(e => e["ns"] == "clock.c" && e["o"]["_id"] == "a")["ts"].AsBsonTimestamp;
        var second = _cluster.Shard(other).ReadOplog().Single(e => e["ns"] == "clock.c" && e["o"]["_id"] == "b")["ts"].AsBsonTimestamp;
        Assert.True(first.CompareTo(ahead) > 0);
        Assert.True(second.CompareTo(first) > 0, $"{second} after {first}");
    }

    [Fact]
    public async Task A_shard_holding_a_sharded_collection_under_another_uuid_than_the_catalog_is_refused()
    {
        var coll = await ShardAsync("uuids", new BsonDocument("_id", "hashed"));
        await coll.InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument("_id", i)));
        // Made anew under the same name on one shard, as a restore that does not keep UUIDs would make it.
        var direct = TestClients.Create(_cluster.Shard("shard1").ConnectionString);
        try
        {
            await direct.GetDatabase("uuids").DropCollectionAsync("c");
            await direct.GetDatabase("uuids").CreateCollectionAsync("c");
        }
        finally
        {
            TestClients.Dispose(direct);
        }

        var error = await Assert.ThrowsAsync<MongoCommandException>(() => coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync());

        Assert.Equal(361, error.Code);
        Assert.Contains("on shard shard1 has UUID", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upsert_without_the_shard_key_is_refused_and_a_bad_key_pattern_named()
    {
        var coll = await ShardAsync("refusals", new BsonDocument("k", 1));

        var upsert = await Assert.ThrowsAsync<MongoWriteException>(() => coll.UpdateOneAsync(new BsonDocument("other", 1), Builders<BsonDocument>.Update.Set("v", 1), new UpdateOptions { IsUpsert = true }));
        var pattern = await Assert.ThrowsAsync<MongoCommandException>(() => Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "refusals.d" }, { "key", new BsonDocument("k", -1) } }));

        Assert.Equal(61, upsert.WriteError.Code);
        Assert.Contains("Unsupported shard key pattern", pattern.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_local_database_is_refused_through_the_router_as_mongos_refuses_it()
    {
        var oplog = _client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs");

        var error = await Assert.ThrowsAsync<MongoCommandException>(() => oplog.Find(FilterDefinition<BsonDocument>.Empty).Limit(1).ToListAsync());

        Assert.Equal(20, error.Code);
        Assert.Contains("Can't use 'local' database through mongos", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shard_is_reached_at_the_hosts_config_shards_names_and_one_named_elsewhere_is_unreachable()
    {
        var coll = await ShardAsync("elsewhere", new BsonDocument("_id", "hashed"));
        await coll.InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument("_id", i)));
        var config = new MongoClient(_cluster.ConfigServer.ConnectionString);
        var shards = config.GetDatabase("config").GetCollection<BsonDocument>("shards");
        var own = (await shards.Find(new BsonDocument("_id", "shard1")).SingleAsync())["host"].AsString;
        try
        {
            // As a config server restored from another cluster's volume holds it.
            await shards.UpdateOneAsync(new BsonDocument("_id", "shard1"), new BsonDocument("$set", new BsonDocument("host", "shard1/other-cluster-shard1-0:27017")));

            var unreachable = await Assert.ThrowsAsync<MongoCommandException>(() => coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync());
            var map = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("getShardMap", 1));

            Assert.Equal(133, unreachable.Code);
            Assert.Contains("shard1/other-cluster-shard1-0:27017", unreachable.Message, StringComparison.Ordinal);
            Assert.Equal("shard1/other-cluster-shard1-0:27017", map["map"]["shard1"].AsString);
            Assert.Equal("shard1", map["hosts"]["other-cluster-shard1-0:27017"].AsString);

            await shards.UpdateOneAsync(new BsonDocument("_id", "shard1"), new BsonDocument("$set", new BsonDocument("host", own)));
            Assert.Equal(20, (await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()).Count);
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(config.Cluster);
        }
    }

    [Fact]
    public async Task An_added_shard_is_registered_listed_and_takes_chunks()
    {
        var coll = await ShardAsync("grown", new BsonDocument("_id", "hashed"));
        await coll.InsertManyAsync(Enumerable.Range(0, 40).Select(i => new BsonDocument("_id", i)));

        var added = await _cluster.AddShardAsync();
        var map = (await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("getShardMap", 1)))["map"].AsBsonDocument;
        var listed = (await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("listShards", 1)))["shards"].AsBsonArray.Select(d => d["_id"].AsString);
        var moved = await _cluster.BalanceAsync();

        Assert.Equal("shard2", added);
        // Logged as addShard logs it from 6.0: inside a transaction's applyOps on the config server.
        Assert.Contains(_cluster.ConfigServer.ReadOplog(), e => e["op"] == "c" && e["o"].AsBsonDocument.GetValue("applyOps", new BsonArray()).AsBsonArray
            .Any(op => op["ns"] == "config.shards" && op["op"] == "i" && op["o"]["_id"] == "shard2"));
        Assert.True(map.Contains("shard2"), map.ToString());
        Assert.Contains("shard2", listed);
        Assert.True(moved > 0);
        Assert.True(_cluster.ChunkCounts("grown.c")["shard2"] > 0);
        Assert.Equal(40, (await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()).Count);
        Assert.True(_cluster.Shard("shard2").CaptureData().Databases.ContainsKey("grown"));
    }

    private IMongoDatabase Admin => _client.GetDatabase("admin");

    private async Task<IMongoCollection<BsonDocument>> ShardAsync(string database, BsonDocument key)
    {
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("enableSharding", database));
        await Admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", $"{database}.c" }, { "key", key } });
        return _client.GetDatabase(database).GetCollection<BsonDocument>("c");
    }
}
