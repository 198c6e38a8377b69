using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Sharding;

/// <summary>
/// What a sharded cluster is made of, read through its router: the config server and every shard, each a replica set
/// with an oplog of its own. Read from <c>getShardMap</c> (what a backup tool must reach directly: PBM's agents run
/// beside each replica set; here the node connects to each), in the router's order: config server first, then the
/// shards by name.
/// </summary>
public sealed record ShardedTopology(ReplicaSetEndpoint ConfigServer, IReadOnlyList<ReplicaSetEndpoint> Shards)
{
    /// <summary>The config server, then the shards: every component of the cluster's archive.</summary>
    public IEnumerable<ReplicaSetEndpoint> ReplicaSets => Shards.Prepend(ConfigServer);

    /// <summary>Whether <paramref name="client"/> reaches a router (<c>hello.msg == "isdbgrid"</c>) rather than a replica set.</summary>
    public static async Task<bool> IsRouterAsync(IMongoClient client, CancellationToken cancellation)
    {
        var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: cancellation);
        return hello.GetValue("msg", BsonNull.Value) is BsonString { Value: "isdbgrid" };
    }

    /// <summary>The cluster behind the router <paramref name="router"/>.</summary>
    public static async Task<ShardedTopology> DiscoverAsync(IMongoClient router, CancellationToken cancellation)
    {
        var reply = await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("getShardMap", 1), cancellationToken: cancellation);
        var map = reply["map"].AsBsonDocument;
        if (!map.TryGetValue(ReplicaSetEndpoint.ConfigShard, out var config))
        {
            throw new FormatException("getShardMap names no config server: the client does not reach a sharded cluster's router");
        }

        var shards = map.Where(e => e.Name != ReplicaSetEndpoint.ConfigShard)
            .Select(e => ReplicaSetEndpoint.Parse(e.Name, e.Value.AsString))
            .OrderBy(e => e.Shard, StringComparer.Ordinal)
            .ToList();
        if (shards.Count == 0)
        {
            throw new FormatException("getShardMap names no shard");
        }

        return new ShardedTopology(ReplicaSetEndpoint.Parse(ReplicaSetEndpoint.ConfigShard, config.AsString), shards);
    }

    /// <summary>
    /// Settings to reach <paramref name="replicaSet"/> directly, with the router's credentials and TLS (KubeDB makes the
    /// same root user on every replica set of a sharded database).
    /// </summary>
    public static MongoClientSettings SettingsFor(ReplicaSetEndpoint replicaSet, MongoClientSettings router)
    {
        var settings = router.Clone();
        settings.Servers = replicaSet.Hosts.Select(MongoServerAddress.Parse).ToList();
        settings.ReplicaSetName = replicaSet.ReplicaSet;
        settings.DirectConnection = false;
        return settings;
    }
}
