using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using CsCheck;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Point-in-time recovery of a sharded cluster is exact: for random workloads over 2 or 3 shards (inserts, updates and
/// deletes by the shard key and without it, transactions across shards, chunks split and migrated), a backup taken
/// part way and a random later point, the cluster restored to that point equals the source as read through its router
/// then, and every document is owned by exactly one shard of the restored cluster.
/// </summary>
public sealed class ShardedPitrProperties
{
    private static readonly Gen<(int Kind, int A, int B)> Step = Gen.Select(Gen.Int[0, 11], Gen.Int[0, 99], Gen.Int[0, 99]);

    [Fact]
    public async Task A_sharded_cluster_restored_to_any_point_after_a_backup_equals_the_source_then()
    {
        await Gen.Select(Gen.Int[2, 3], Step.Array[6, 16], Gen.Int[0, 1000], Gen.Int[0, 1000]).SampleAsync(
            async t => await CheckAsync(t.Item1, t.Item2, t.Item3, t.Item4),
            iter: 6,
            threads: 1);
    }

    private static async Task CheckAsync(int shards, (int Kind, int A, int B)[] steps, int backupPick, int targetPick)
    {
        await using var clusters = await ShardedClusters.StartAsync(new ShardedMongoEmulatorOptions { Shards = shards, PeriodicNoopInterval = null });
        var (source, target, router, targetRouter) = (clusters.Source, clusters.Target, clusters.Router, clusters.TargetRouter);
        using var repository = new TestRepository();
        var admin = router.GetDatabase("admin");
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "p.c" }, { "key", new BsonDocument("k", 1) } });
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "p.c" }, { "middle", new BsonDocument("k", 50) } });
        var primary = source.ChunkCounts("p.c").Single(c => c.Value == 2).Key;
        await source.MoveChunkAsync("p.c", new BsonDocument("k", 50), source.ShardNames.First(n => n != primary));
        var coll = router.GetDatabase("p").GetCollection<BsonDocument>("c");
        await coll.InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument { { "_id", i }, { "k", i * 5 }, { "v", 0 } }));
        await using var archivers = new ClusterArchivers(source, repository);

        var backupAt = backupPick % steps.Length;
        var states = new List<(OplogTimestamp At, List<BsonDocument> Documents)>();
        var nextId = 100;
        for (var i = 0; i < steps.Length; i++)
        {
            if (i == backupAt)
            {
                await new ShardedLogicalBackup(router, set => clusters.Connect(router, set), repository.Store, repository.Layout,
                    new ShardedLogicalBackupOptions { Timeline = 1, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();
            }

            await ApplyAsync(source, router, coll, steps[i], nextId++);
            if (i >= backupAt)
            {
                states.Add((Newest(source), await coll.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync()));
            }
        }

        await archivers.WaitArchivedAsync(Newest(source));
        var (at, expected) = states[targetPick % states.Count];

        await new ShardedRestore(repository.Store, repository.Layout, targetRouter, set => clusters.Connect(targetRouter, set))
            .RunAsync(RecoveryTarget.AtTs(at));

        var restored = await targetRouter.GetDatabase("p").GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync();
        Assert.Equal(expected, restored);
        AssertOwnedOnce(target, restored.Select(d => d["_id"].AsInt32).ToList());
    }

    private static async Task ApplyAsync(ShardedMongoEmulator source, MongoClient router, IMongoCollection<BsonDocument> coll, (int Kind, int A, int B) step, int id)
    {
        switch (step.Kind)
        {
            case <= 2:
                await coll.InsertOneAsync(new BsonDocument { { "_id", id }, { "k", step.A }, { "v", step.B } });
                break;
            case 3:
                // By the shard key: one shard.
                await coll.UpdateManyAsync(new BsonDocument("k", step.A), Builders<BsonDocument>.Update.Inc("v", 1));
                break;
            case 4:
                // Without it: every shard, by the _ids each owns.
                await coll.UpdateManyAsync(new BsonDocument("v", new BsonDocument("$lt", step.B)), Builders<BsonDocument>.Update.Set("w", step.A));
                break;
            case 5:
                await coll.DeleteOneAsync(new BsonDocument("_id", step.A % 20));
                break;
            case 6 or 7:
            {
                // A transaction on both sides of k = 50 (two shards, unless a migration has since put them together).
                using var session = await router.StartSessionAsync();
                session.StartTransaction();
                await coll.UpdateManyAsync(session, new BsonDocument("k", new BsonDocument("$lt", 50)), Builders<BsonDocument>.Update.Inc("t", 1));
                await coll.InsertOneAsync(session, new BsonDocument { { "_id", id }, { "k", 50 + (step.A % 50) }, { "v", step.B } });
                await session.CommitTransactionAsync();
                break;
            }

            case 8:
            {
                var shard = source.ShardNames[step.B % source.ShardNames.Count];
                try
                {
                    await source.MoveChunkAsync("p.c", new BsonDocument("k", step.A), shard);
                }
                catch (Exception e) when (e.Message.Contains("already on shard", StringComparison.Ordinal))
                {
                    // The chunk is there already: nothing moves.
                }

                break;
            }

            case 9:
                try
                {
                    await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "split", "p.c" }, { "middle", new BsonDocument("k", step.A) } });
                }
                catch (MongoCommandException e) when (e.Message.Contains("its own min key", StringComparison.Ordinal))
                {
                    // A split point already there.
                }

                break;
            default:
                await coll.DeleteManyAsync(new BsonDocument("k", new BsonDocument("$gte", step.A).Add("$lt", step.A + 3)));
                break;
        }
    }

    /// <summary>Every restored document is held, as an owner, by exactly the one shard the restored catalog names.</summary>
    private static void AssertOwnedOnce(ShardedMongoEmulator cluster, List<int> ids)
    {
        var config = cluster.ConfigServer.CaptureData().Databases["config"];
        var uuid = config["collections"].Single(c => c["_id"] == "p.c")["uuid"];
        var chunks = config["chunks"].Where(c => c["uuid"] == uuid).ToList();
        string Owner(BsonValue k) => chunks.Single(c =>
            (c["min"]["k"].IsBsonMinKey || k.ToInt32() >= c["min"]["k"].ToInt32()) && (c["max"]["k"].IsBsonMaxKey || k.ToInt32() < c["max"]["k"].ToInt32()))["shard"].AsString;
        var owned = new List<int>();
        for (var i = 0; i < cluster.ShardNames.Count; i++)
        {
            var name = cluster.ShardNames[i];
            var held = cluster.Shards[i].CaptureData().Databases.GetValueOrDefault("p")?.GetValueOrDefault("c") ?? [];
            owned.AddRange(held.Where(d => Owner(d["k"]) == name).Select(d => d["_id"].AsInt32));
        }

        Assert.Equal(ids, owned.Order());
    }

    private static OplogTimestamp Newest(ShardedMongoEmulator cluster) => ShardedClusters.Newest(cluster);
}
