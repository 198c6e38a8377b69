using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Mongo.Sharding;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A sharded cluster restored under the same history, then archived again, one stream per replica set as the node or
/// each replica set's sidecar opens it: every replica set names the one branch (the cluster's restore point), the
/// first to open the timeline makes it and the others find it, and each replica set starts after its own restore's
/// last write, an entry of its own oplog, so no write of the restore is archived and none of the cluster's own is missed.
/// </summary>
public sealed class ShardedArchivingAfterRestoreTests : IAsyncLifetime
{
    private ShardedClusters _clusters = null!;

    public async Task InitializeAsync() =>
        _clusters = await ShardedClusters.StartAsync(new ShardedMongoEmulatorOptions { Shards = 2, PeriodicNoopInterval = null });

    public async Task DisposeAsync() => await _clusters.DisposeAsync();

    [Fact]
    public async Task Every_replica_set_names_the_cluster_restore_point_and_starts_after_its_own_restore()
    {
        using var repository = new TestRepository();
        var history = new RepositoryHistory(repository.Store, repository.Layout);
        Assert.Equal(1u, (await history.OpenForArchivingAsync("source-uid", DateTimeOffset.UtcNow)).Id);
        var router = _clusters.Router;
        await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.orders" }, { "key", new BsonDocument("_id", "hashed") } });
        var orders = router.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        OplogTimestamp at;
        await using (var archivers = new ClusterArchivers(_clusters.Source, repository))
        {
            await orders.InsertManyAsync(Enumerable.Range(0, 40).Select(i => new BsonDocument { { "_id", i }, { "n", 0 } }));
            await new ShardedLogicalBackup(router, set => _clusters.Connect(router, set), repository.Store, repository.Layout, new ShardedLogicalBackupOptions { Timeline = 1, MajorityWait = TimeSpan.FromSeconds(10) }).RunAsync();
            await orders.InsertManyAsync(Enumerable.Range(40, 40).Select(i => new BsonDocument { { "_id", i }, { "n", 1 } }));
            at = ShardedClusters.Newest(_clusters.Source);
            await orders.InsertManyAsync(Enumerable.Range(80, 10).Select(i => new BsonDocument { { "_id", i }, { "n", 2 } }));
            await archivers.WaitArchivedAsync(ShardedClusters.Newest(_clusters.Source));
        }

        var targetRouter = _clusters.TargetRouter;
        await new ShardedRestore(repository.Store, repository.Layout, targetRouter, set => _clusters.Connect(targetRouter, set)).RunAsync(RecoveryTarget.AtTs(at));

        var sets = (await ShardedTopology.DiscoverAsync(targetRouter, CancellationToken.None)).ReplicaSets.ToList();
        var clients = sets.Select(set => _clusters.Connect(targetRouter, set)).ToList();
        var lineages = new List<RestoreLineage>();
        var starts = new List<ArchivingStart>();
        foreach (var client in clients)
        {
            lineages.Add((await LineageRecord.ReadAsync(client, CancellationToken.None))!);
            starts.Add(await ArchivingTimeline.OpenStreamAsync(client, repository.Store, repository.Layout, "restored-uid", DateTimeOffset.UtcNow, CancellationToken.None));
        }

        // One branch for the cluster, at its restore point and its time, whichever replica set made it.
        var atWall = _clusters.Source.Shards.Append(_clusters.Source.ConfigServer).SelectMany(s => s.ReadOplog())
            .Single(e => OplogFields.ToStorage(e["ts"].AsBsonTimestamp) == at)["wall"].ToUniversalTime();
        Assert.All(lineages, l => Assert.Equal(at, l.BranchedAfter));
        Assert.All(lineages, l => Assert.Equal(new DateTimeOffset(atWall).ToUnixTimeMilliseconds(), l.BranchedAtWallUnixMs));
        Assert.Single(starts.Select(s => s.Timeline.Id).Distinct());
        Assert.Equal(2u, starts[0].Timeline.Id);
        Assert.Equal(at, starts[0].Timeline.BranchedAfter);
        Assert.Equal(1u, starts[0].Timeline.Parent);

        // Each starts after its own lineage's insert, the restore's last write in its own oplog.
        for (var i = 0; i < sets.Count; i++)
        {
            Assert.NotNull(lineages[i].ArchiveAfter);
            Assert.Equal(lineages[i].ArchiveAfter, starts[i].StartAfter);
            var oplog = clients[i].GetDatabase("local").GetCollection<BsonDocument>("oplog.rs");
            var later = await oplog.Find(new BsonDocument("ts", new BsonDocument("$gt", OplogFields.ToBson(starts[i].StartAfter!.Value)))).ToListAsync();
            // After it: only the restore's marker going, and no-ops; no document of the restore.
            Assert.All(later, e => Assert.True(e["op"] == "n" || e["ns"].AsString.StartsWith(RestoreMarker.Database + ".", StringComparison.Ordinal), $"{sets[i].Component}: {e}"));
            var restored = await oplog.CountDocumentsAsync(new BsonDocument { { "ns", "shop.orders" }, { "ts", new BsonDocument("$lte", OplogFields.ToBson(starts[i].StartAfter!.Value)) } });
            Assert.True(sets[i].IsConfigServer || restored > 0, $"{sets[i].Component} holds the restore's writes before its start");
        }

        // A shard added to the restored cluster has no lineage: archived from its own oplog's start, not after another
        // replica set's entry (which its oplog does not hold: a false gap, and its first entries skipped).
        var added = await _clusters.Target.AddShardAsync();
        var joined = (await ShardedTopology.DiscoverAsync(targetRouter, CancellationToken.None)).ReplicaSets.Single(s => s.Component == added);
        var fresh = await ArchivingTimeline.OpenStreamAsync(_clusters.Connect(targetRouter, joined), repository.Store, repository.Layout, "restored-uid", DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal((2u, (OplogTimestamp?)null), (fresh.Timeline.Id, fresh.StartAfter));

        // The restored cluster's own writes are archived on the branch, each replica set's from its own start on.
        await targetRouter.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(100, 20).Select(i => new BsonDocument("_id", i)));
        var runs = sets.Select((set, i) => new ArchiverRun(clients[i], repository, o => o with { Component = set.Component, Timeline = starts[i].Timeline.Id, StartAfter = starts[i].StartAfter })).ToList();
        try
        {
            foreach (var (run, set) in runs.Zip(_clusters.Target.Shards.Prepend(_clusters.Target.ConfigServer)))
            {
                set.TickPeriodicNoop();
                set.TickPeriodicNoop();
                await run.WaitArchivedAsync(OplogFields.ToStorage(set.LastAppliedTimestamp));
            }
        }
        finally
        {
            foreach (var run in runs) await run.DisposeAsync();
        }

        var branch = (await RepositoryCatalog.LoadAsync(repository.Store, repository.Layout)).Timeline(2);
        for (var i = 0; i < sets.Count; i++)
        {
            var run = Assert.Single(branch.Component(sets[i].Component).Runs);
            Assert.Equal(starts[i].StartAfter, run.From);
        }
    }
}
