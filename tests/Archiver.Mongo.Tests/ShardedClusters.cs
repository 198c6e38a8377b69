using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Sharding;
using Archiver.Storage;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A sharded source and a sharded restore target for a test, their routers' clients and every client made to reach a
/// replica set behind them, all disposed with it.
/// </summary>
internal sealed class ShardedClusters : IAsyncDisposable
{
    private readonly List<MongoClient> _clients = [];

    private ShardedClusters(ShardedMongoEmulator source, ShardedMongoEmulator target)
    {
        Source = source;
        Target = target;
        Router = Track(TestClients.Create(source.ConnectionString));
        TargetRouter = Track(TestClients.Create(target.ConnectionString));
    }

    public ShardedMongoEmulator Source { get; }

    public ShardedMongoEmulator Target { get; }

    public MongoClient Router { get; }

    public MongoClient TargetRouter { get; }

    /// <param name="target">The target's options; by default the source's with the default oplog.</param>
    public static async Task<ShardedClusters> StartAsync(ShardedMongoEmulatorOptions source, ShardedMongoEmulatorOptions? target = null)
    {
        var started = await ShardedMongoEmulator.StartAsync(source);
        return new ShardedClusters(started, await ShardedMongoEmulator.StartAsync(target ?? source with { OplogSizeBytes = 256L * 1024 * 1024 }));
    }

    /// <summary>A client of one replica set behind <paramref name="router"/>, with its settings, disposed with the clusters.</summary>
    public IMongoClient Connect(MongoClient router, ReplicaSetEndpoint set) => Track(new MongoClient(ShardedTopology.SettingsFor(set, router.Settings)));

    public MongoClient Track(MongoClient client)
    {
        _clients.Add(client);
        return client;
    }

    /// <summary>The newest entry of any replica set of <paramref name="cluster"/>.</summary>
    public static OplogTimestamp Newest(ShardedMongoEmulator cluster) =>
        cluster.Shards.Append(cluster.ConfigServer).Select(s => OplogFields.ToStorage(s.LastAppliedTimestamp)).Max();

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            TestClients.Dispose(client);
        }

        await Source.DisposeAsync();
        await Target.DisposeAsync();
    }
}
