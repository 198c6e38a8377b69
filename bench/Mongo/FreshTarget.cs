extern alias mongodriver;

using Archiver.Emulators.MongoDb;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// A new, empty emulated replica set and a client on it: the target of one side of one round, so neither side of a
/// restore figure inherits the other's data, oplog or caches.
/// </summary>
internal sealed class FreshTarget : IAsyncDisposable
{
    private readonly MongoEmulator _emulator;

    private FreshTarget(MongoEmulator emulator, MongoClient client)
    {
        _emulator = emulator;
        Client = client;
    }

    public MongoClient Client { get; }

    public static async Task<FreshTarget> StartAsync()
    {
        var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 2L << 30 });
        var settings = MongoClientSettings.FromConnectionString(emulator.ConnectionString);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
        var client = new MongoClient(settings);
        // The first command opens the connection pool: a cost of the set-up, not of either side's work.
        await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1));
        return new FreshTarget(emulator, client);
    }

    /// <summary>dbHash's per-collection hashes of <paramref name="database"/>: equal on two servers when their documents are.</summary>
    public static async Task<string> HashAsync(IMongoClient client, string database)
    {
        var reply = await client.GetDatabase(database).RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));
        return reply["collections"].AsBsonDocument.ToJson();
    }

    public async ValueTask DisposeAsync()
    {
        ClusterRegistry.Instance.UnregisterAndDisposeCluster(Client.Cluster);
        await _emulator.DisposeAsync();
    }
}
