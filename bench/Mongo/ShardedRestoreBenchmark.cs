extern alias mongodriver;

using System.Diagnostics;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Mongo.Sharding;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// A 3-shard cluster's restore (base and replay) with its replica sets restored at once, beside the same restore with
/// them one after another (<c>ShardedRestore</c>'s <c>replicaSetsAtOnce: 1</c>), into fresh clusters of the same
/// shards, from the same archive. Goal: at most half the time. Each write command to a replica set first waits a network
/// round trip (1 ms, <see cref="RoundTrip"/>), as it does to a shard that is a server of its own; the shards are emulated
/// in this process and otherwise share its two cores with the restore, a limit real clusters do not have.
/// </summary>
internal static class ShardedRestoreBenchmark
{
    private const int Shards = 3;
    private const int BaseDocuments = 6_000;
    private const int Batches = 24;
    private const int BatchSize = 1_000;
    private const int Rounds = 7;

    /// <summary>What each write command to a replica set costs on the wire before it runs: a round trip between pods.</summary>
    private static readonly TimeSpan RoundTrip = TimeSpan.FromMilliseconds(1);

    public static async Task RunAsync(BenchReport report)
    {
        using var folder = new BenchFolder();
        var store = new LocalFolderStore(folder.NewRepository());
        var layout = RepositoryLayout.ForDatabase("MongoDB", "bench", "sharded");
        var options = new ShardedMongoEmulatorOptions { Shards = Shards, PeriodicNoopInterval = null, OplogSizeBytes = 2L << 30 };
        await using var source = await ShardedMongoEmulator.StartAsync(options);
        var clients = new List<MongoClient>();
        var router = Track(clients, new MongoClient(source.ConnectionString));
        try
        {
            await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "bench.c" }, { "key", new BsonDocument("_id", "hashed") } });
            var coll = router.GetDatabase("bench").GetCollection<BsonDocument>("c");
            await coll.InsertManyAsync(Enumerable.Range(0, BaseDocuments).Select(i => new BsonDocument { { "_id", i }, { "v", 0 }, { "pad", new string('x', 64) } }));
            var topology = await ShardedTopology.DiscoverAsync(router, CancellationToken.None);
            using var stop = new CancellationTokenSource();
            var archivers = topology.ReplicaSets.Select(set => new OplogArchiver(Track(clients, new MongoClient(ShardedTopology.SettingsFor(set, router.Settings))), store, layout, new OplogArchiverOptions
            {
                Component = set.Component,
                Timeline = 1,
                ChunkMaxAge = TimeSpan.FromMilliseconds(200),
            })).ToList();
            var runs = archivers.Select(a => Task.Run(() => a.RunAsync(stop.Token))).ToList();
            await new ShardedLogicalBackup(router, set => Track(clients, new MongoClient(ShardedTopology.SettingsFor(set, router.Settings))), store, layout, new ShardedLogicalBackupOptions { Timeline = 1 }).RunAsync();
            for (var batch = 0; batch < Batches; batch++)
            {
                // Half inserts, half updates by _id (each lands on the shard owning its hash).
                await coll.InsertManyAsync(Enumerable.Range(0, BatchSize / 2).Select(i => new BsonDocument { { "_id", BaseDocuments + (batch * BatchSize) + i }, { "v", batch } }));
                await coll.BulkWriteAsync(Enumerable.Range(0, BatchSize / 2).Select(i => new UpdateOneModel<BsonDocument>(new BsonDocument("_id", (batch * 97 + i * 7) % BaseDocuments), Builders<BsonDocument>.Update.Inc("v", 1))));
            }

            var newest = source.Shards.Append(source.ConfigServer).Select(s => OplogFields.ToStorage(s.LastAppliedTimestamp)).Max();
            // An idle replica set (the config server) reaches the cluster's newest point with its next periodic no-op.
            while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= newest.Seconds)
            {
                await Task.Delay(50);
            }

            foreach (var (archiver, set) in archivers.Zip(source.Shards.Prepend(source.ConfigServer)))
            {
                set.TickPeriodicNoop();
                set.TickPeriodicNoop();
                var end = OplogFields.ToStorage(set.LastAppliedTimestamp);
                while (!(archiver.Status.WalSegmentEnd is { } archived && archived >= end))
                {
                    await Task.Delay(20);
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(runs.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
            var target = RecoveryTarget.AtTs(newest);
            long entries = 0;
            // One pair unmeasured first: the first restore of each kind compiles its code, which is not the restore's time.
            await RestoreAsync(store, layout, target, 1, clients, _ => { });
            await RestoreAsync(store, layout, target, null, clients, _ => { });
            var (value, reference, rounds) = await PairedRounds.MedianAsync(
                Rounds,
                async () => await RestoreAsync(store, layout, target, null, clients, e => entries = e),
                async () => await RestoreAsync(store, layout, target, 1, clients, _ => { }));
            Console.WriteLine($"# sharded restore: {Shards} shards and a config server, base {BaseDocuments} documents, {entries} entries replayed, {RoundTrip.TotalMilliseconds:0} ms per write command; median of {rounds} paired rounds: all at once {value:0.00} s, one after another {reference:0.00} s");
            report.AtMost("mongo.sharded.restore_vs_one_after_another", value, reference, 0.5);
        }
        finally
        {
            foreach (var client in clients)
            {
                ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            }
        }
    }

    private static async Task<double> RestoreAsync(IObjectStore store, RepositoryLayout layout, RecoveryTarget target, int? atOnce, List<MongoClient> clients, Action<long> entries)
    {
        await using var cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions { Shards = Shards, PeriodicNoopInterval = null, OplogSizeBytes = 2L << 30 });
        foreach (var set in cluster.Shards.Append(cluster.ConfigServer))
        {
            // Each shard is a server of its own, a network round trip away (RoundTrip); here they share this process's cores.
            foreach (var command in (string[])["applyOps", "insert", "createIndexes", "create"])
            {
                set.SlowDown(command, RoundTrip);
            }
        }

        var router = Track(clients, new MongoClient(cluster.ConnectionString));
        await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1));
        var watch = Stopwatch.StartNew();
        var report = await new ShardedRestore(store, layout, router, set => Track(clients, new MongoClient(ShardedTopology.SettingsFor(set, router.Settings))), replicaSetsAtOnce: atOnce).RunAsync(target);
        var seconds = watch.Elapsed.TotalSeconds;
        entries(report.EntriesReplayed);
        return seconds;
    }

    private static MongoClient Track(List<MongoClient> clients, MongoClient client)
    {
        clients.Add(client);
        return client;
    }
}
