using System.Reflection;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Validation;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver demo --sharded</c>: the whole job on a sharded cluster stand-in (three shards, a config server, a
/// mongos). The embedded node archives every replica set, takes a full backup of all of them consistent at one
/// cluster time, and restores into a second cluster of the same shape to a moment when transactions across shards had
/// committed and a chunk migration was in flight (its documents cloned to the new shard, not yet committed); the copy
/// is compared with the source at that moment through both routers, and each document must be on one shard only.
/// </summary>
internal sealed class ShardedDemo(TextWriter output, string folder, int documents) : DemoScript(output)
{
    private static readonly ResourceId Source = new("demo", "mg-sh");
    private static readonly ResourceId Restored = new("demo", "mg-sh-restored");
    private const string Database = "shop";

    public async Task<int> ExecuteAsync(CancellationToken cancellation)
    {
        await StepAsync($"data folder {folder}");
        // A no-op a second, so an idle replica set's archive keeps up with the others (MongoDB writes one every 10 s).
        var options = new ShardedMongoEmulatorOptions { Shards = 3, PeriodicNoopInterval = TimeSpan.FromSeconds(1) };
        await using var source = await ShardedMongoEmulator.StartAsync(options);
        await using var target = await ShardedMongoEmulator.StartAsync(options);
        await StepAsync($"MongoDB emulator: source sharded cluster (config server and {string.Join(", ", source.ShardNames)}) behind mongos {source.ConnectionString}; restore target of the same shards behind {target.ConnectionString}");

        await using var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = folder, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error, cancellation);
        Node = node.Address.ToString();
        await StepAsync($"embedded node on {node.Address} (SQLite journal {node.Settings.JournalFile})");
        node.Secrets.Write(new ResourceId("demo", "mg-sh-connection"), MongoConnections.UriKey, source.ConnectionString);
        node.Secrets.Write(new ResourceId("demo", "mg-sh-restored-connection"), MongoConnections.UriKey, target.ConnectionString);
        await ApplyExamplesAsync(cancellation);
        await WaitAsync("demo/mg-sh configured and archiving: a stream per replica set", () => IsArchivingAsync(node, Source), TimeSpan.FromSeconds(30), cancellation);

        var router = new MongoClient(source.ConnectionString);
        var restoredRouter = new MongoClient(target.ConnectionString);
        try
        {
            var admin = router.GetDatabase("admin");
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("enableSharding", Database), cancellationToken: cancellation);
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", $"{Database}.orders" }, { "key", new BsonDocument("_id", "hashed") } }, cancellationToken: cancellation);
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", $"{Database}.customers" }, { "key", new BsonDocument("_id", 1) } }, cancellationToken: cancellation);
            var workload = new DemoWorkload(router, Database, documents);
            var seeded = await workload.SeedAsync(cancellation);
            // Customers in three ranges, one per shard.
            var third = documents / 3;
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", $"{Database}.customers" }, { "middle", new BsonDocument("_id", third) } }, cancellationToken: cancellation);
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "split", $"{Database}.customers" }, { "middle", new BsonDocument("_id", 2 * third) } }, cancellationToken: cancellation);
            var home = source.ChunkCounts($"{Database}.customers").Single(c => c.Value == 3).Key;
            var others = source.ShardNames.Where(n => n != home).ToList();
            await source.MoveChunkAsync($"{Database}.customers", new BsonDocument("_id", third), others[0], cancellation);
            await source.MoveChunkAsync($"{Database}.customers", new BsonDocument("_id", 2 * third), others[1], cancellation);
            await StepAsync($"workload: {seeded:N0} documents in {Database}: orders sharded on a hashed _id, customers in three ranges on three shards, inventory unsharded");
            await CliOrFailAsync(cancellation, "backup", Source.ToString());

            var roundOne = await workload.ChangeAsync(1, cancellation) + await TransfersAsync(router, 1, third, cancellation);
            // A migration in flight at the target: the first range's documents cloned to another shard, not committed.
            var hold = source.HoldMigrations();
            var moving = source.MoveChunkAsync($"{Database}.customers", new BsonDocument("_id", 0), others[0], cancellation);
            await hold.Reached.WaitAsync(TimeSpan.FromSeconds(30), cancellation);
            await Task.Delay(30, cancellation);
            var expected = await DemoWorkload.ReadAsync(router, Database, cancellation);
            var at = DateTimeOffset.UtcNow;
            await Task.Delay(30, cancellation);
            await StepAsync($"round 1: {roundOne:N0} writes, transactions across shards among them; customers [MinKey, {third}) cloned from {home} to {others[0]}, not committed; then the target time {Rfc3339.Format(at)}; source then: {expected}");

            hold.Dispose();
            await moving;
            var roundTwo = await workload.ChangeAsync(2, cancellation) + await TransfersAsync(router, 2, third, cancellation);
            await workload.DropInventoryAsync(cancellation);
            var lastWrite = LastWrite(source);
            var now = await DemoWorkload.ReadAsync(router, Database, cancellation);
            await StepAsync($"round 2: the migration committed, {roundTwo:N0} writes and transactions, inventory dropped; source now: {now}");

            await WaitAsync($"every replica set archived up to the last write ({Rfc3339.Format(lastWrite)})", () => ArchivedPastAsync(node, Source, lastWrite), TimeSpan.FromSeconds(60), cancellation);
            await CliOrFailAsync(cancellation, "windows", Source.ToString());
            await CliOrFailAsync(cancellation, "plan", Source.ToString(), "--at", Rfc3339.Format(at));
            await CliOrFailAsync(cancellation, "restore", Source.ToString(), "--at", Rfc3339.Format(at), "--into", Restored.ToString(), "--connection-secret", "mg-sh-restored-connection", "--timeout", "90");

            var actual = await DemoWorkload.ReadAsync(restoredRouter, Database, cancellation);
            var placement = Placement(target);
            await StepAsync($"restored {Restored}: {actual}; customers on the shards: {string.Join(", ", placement.Select(p => $"{p.Shard} {p.Owned:N0} owned + {p.Orphans:N0} orphans"))}");
            await CliOrFailAsync(cancellation, "describe", "mongodb", Restored.ToString());
            if (actual.Sha256 != expected.Sha256 || actual.Documents != expected.Documents)
            {
                throw new DemoFailure($"{Restored} ({actual}) differs from {Source} at {Rfc3339.Format(at)} ({expected})");
            }

            if (now.Sha256 == expected.Sha256) throw new DemoFailure("round 2 changed nothing, so the comparison would prove nothing");
            if (placement.Sum(p => p.Orphans) == 0) throw new DemoFailure("no migration was in flight at the target, so the restore proved nothing about one");
            await Output.WriteLineAsync(
                $"verified: {Restored} equals {Source} (a sharded cluster of {source.ShardNames.Count} shards) as it was at {Rfc3339.Format(at)}: "
                + $"{expected.Collections.Count} collections, {expected.Documents:N0} documents and their indexes, sha256 {expected.Sha256}, "
                + $"with a migration in flight and transactions across shards (and differs from the source now, after round 2), in {Clock.Elapsed.TotalSeconds:0.0} s");
            return ExitCodes.Ok;
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(router.Cluster);
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(restoredRouter.Cluster);
        }
    }

    /// <summary>Credits moved between a customer of the first range and one of the last, in one transaction each: every one spans two shards.</summary>
    private static async Task<long> TransfersAsync(IMongoClient router, int round, int third, CancellationToken cancellation)
    {
        var customers = router.GetDatabase(Database).GetCollection<BsonDocument>("customers");
        long writes = 0;
        for (var i = 0; i < 5; i++)
        {
            using var session = await router.StartSessionAsync(cancellationToken: cancellation);
            session.StartTransaction();
            var from = (round * 5 + i) % third;
            var to = 2 * third + from;
            await customers.UpdateOneAsync(session, new BsonDocument("_id", from), new BsonDocument("$inc", new BsonDocument("credits", -round)), cancellationToken: cancellation);
            await customers.UpdateOneAsync(session, new BsonDocument("_id", to), new BsonDocument("$inc", new BsonDocument("credits", round)), cancellationToken: cancellation);
            await session.CommitTransactionAsync(cancellation);
            writes += 2;
        }

        return writes;
    }

    /// <summary>Per shard of the restored cluster: customers it owns by the restored catalog, and copies a migration left that it does not.</summary>
    private static List<(string Shard, int Owned, int Orphans)> Placement(ShardedMongoEmulator cluster)
    {
        var catalog = cluster.ConfigServer.CaptureData().Databases["config"];
        var chunks = catalog["chunks"];
        var collection = catalog["collections"].Single(c => c["_id"] == $"{Database}.customers")["uuid"];
        var ranges = chunks.Where(c => c["uuid"] == collection).ToList();
        return cluster.ShardNames.Select((name, i) =>
        {
            var held = cluster.Shards[i].CaptureData().Databases.GetValueOrDefault(Database)?.GetValueOrDefault("customers") ?? [];
            var owned = held.Count(d => ranges.Single(c => InRange(c, d["_id"]))["shard"].AsString == name);
            return (name, owned, held.Count - owned);
        }).ToList();
    }

    private static bool InRange(BsonDocument chunk, BsonValue id) =>
        (chunk["min"]["_id"].IsBsonMinKey || id.AsInt32 >= chunk["min"]["_id"].AsInt32) && (chunk["max"]["_id"].IsBsonMaxKey || id.AsInt32 < chunk["max"]["_id"].AsInt32);

    private async Task ApplyExamplesAsync(CancellationToken cancellation)
    {
        var manifests = Path.Combine(folder, "manifests");
        Directory.CreateDirectory(manifests);
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in new[] { "storage.yaml", "archiver.yaml", "mongodb-sharded.yaml" })
        {
            using var stream = assembly.GetManifestResourceStream($"examples/{name}") ?? throw new DemoFailure($"the example {name} is missing from this build");
            var text = await new StreamReader(stream).ReadToEndAsync(cancellation);
            text = text.Replace("/var/lib/archiver/backups", Path.Combine(folder, "backups"), StringComparison.Ordinal);
            var path = Path.Combine(manifests, name);
            await File.WriteAllTextAsync(path, text, cancellation);
            await CliOrFailAsync(cancellation, "apply", "-f", path);
        }
    }

    /// <summary>The newest write of any replica set of the cluster.</summary>
    private static DateTimeOffset LastWrite(ShardedMongoEmulator cluster) =>
        cluster.Shards.Append(cluster.ConfigServer).Select(s => new DateTimeOffset(s.ReadOplog()[^1]["wall"].ToUniversalTime())).Max();

}
