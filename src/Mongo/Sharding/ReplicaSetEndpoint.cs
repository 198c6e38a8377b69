namespace Archiver.Mongo.Sharding;

/// <summary>
/// One replica set of a sharded cluster as the router names it in <c>getShardMap</c>: its replica-set name (also the
/// component its oplog and its share of a full backup are filed under) and its members' hosts.
/// </summary>
/// <param name="Shard">The shard's name in <c>config.shards</c>, or <c>config</c> for the config server.</param>
public sealed record ReplicaSetEndpoint(string Shard, string ReplicaSet, IReadOnlyList<string> Hosts)
{
    public const string ConfigShard = "config";

    public bool IsConfigServer => Shard == ConfigShard;

    /// <summary>The component name: the replica set's name, as for a replica-set database.</summary>
    public string Component => ReplicaSet;

    /// <summary>Parses <c>rsName/host1:port,host2:port</c> (a shard's or the config server's connection string in getShardMap).</summary>
    public static ReplicaSetEndpoint Parse(string shard, string connection)
    {
        var slash = connection.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == connection.Length - 1)
        {
            throw new FormatException($"getShardMap names {shard} as '{connection}', not 'replicaSet/host:port,...': a shard that is not a replica set has no oplog to archive");
        }

        return new ReplicaSetEndpoint(shard, connection[..slash], connection[(slash + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
