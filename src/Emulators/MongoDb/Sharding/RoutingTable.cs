using Archiver.Emulators.MongoDb.Oplog;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// What a router knows about where data lives, read from the config server's <c>config.shards</c>,
/// <c>config.databases</c>, <c>config.collections</c> and <c>config.chunks</c> and nowhere else. A router keeps no metadata of its own, so a
/// config server restored from a backup routes exactly as its restored documents say.
/// </summary>
internal sealed class RoutingTable
{
    private RoutingTable(OpTime readAt, IReadOnlyDictionary<string, string> primaries, IReadOnlyDictionary<string, ShardedCollectionInfo> collections, IReadOnlyDictionary<string, string> shards)
    {
        ReadAt = readAt;
        Primaries = primaries;
        Collections = collections;
        Shards = shards;
    }

    /// <summary>
    /// Shard name → the <c>replicaSetName/host,host</c> it is reached at, from <c>config.shards</c>: where a router
    /// connects to a shard (mongos's ShardRegistry reads the same documents, src/mongo/s/client/shard_registry.cpp).
    /// </summary>
    public IReadOnlyDictionary<string, string> Shards { get; }

    /// <summary>The config server's newest optime when this was read: a newer one means the table may be stale.</summary>
    public OpTime ReadAt { get; }

    /// <summary>Database name → its primary shard (where its unsharded collections live).</summary>
    public IReadOnlyDictionary<string, string> Primaries { get; }

    /// <summary>Namespace → the sharded collection.</summary>
    public IReadOnlyDictionary<string, ShardedCollectionInfo> Collections { get; }

    public ShardedCollectionInfo? Sharded(string database, string collection) =>
        Collections.GetValueOrDefault($"{database}.{collection}");

    /// <summary>Reads the table from the config server's data.</summary>
    public static RoutingTable Load(ReplicaSetState config)
    {
        lock (config.Sync)
        {
            var primaries = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var database in config.Storage.Find("config", "databases")?.Documents ?? [])
            {
                primaries[database["_id"].AsString] = database["primary"].AsString;
            }

            var chunks = (config.Storage.Find("config", "chunks")?.Documents ?? [])
                .GroupBy(c => c["uuid"].AsGuid)
                .ToDictionary(g => g.Key, g => g.Select(ChunkInfo.FromDocument).OrderBy(c => c.Min, KeyOrder.Instance).ToList());
            var collections = new Dictionary<string, ShardedCollectionInfo>(StringComparer.Ordinal);
            foreach (var collection in config.Storage.Find("config", "collections")?.Documents ?? [])
            {
                var uuid = collection["uuid"].AsGuid;
                var ns = collection["_id"].AsString;
                collections[ns] = new ShardedCollectionInfo(ns, uuid, new ShardKeyPattern(collection["key"].AsBsonDocument), chunks.GetValueOrDefault(uuid) ?? []);
            }

            var shards = (config.Storage.Find("config", "shards")?.Documents ?? [])
                .ToDictionary(d => d["_id"].AsString, d => d["host"].AsString, StringComparer.Ordinal);
            return new RoutingTable(config.LastApplied, primaries, collections, shards);
        }
    }

    private sealed class KeyOrder : IComparer<BsonDocument>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(BsonDocument? x, BsonDocument? y) => ShardKeyPattern.Compare(x!, y!);
    }
}
