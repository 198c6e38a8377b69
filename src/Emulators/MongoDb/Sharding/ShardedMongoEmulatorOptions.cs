namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>How to start a <see cref="ShardedMongoEmulator"/>. Defaults match a small MongoDB 7.0 sharded cluster where that matters.</summary>
public sealed record ShardedMongoEmulatorOptions
{
    /// <summary>Port of the <c>mongos</c> router; 0 picks a free one. The shards and the config server always get free ports.</summary>
    public int Port { get; init; }

    /// <summary>Shard replica sets (1–16), named <see cref="ShardNamePrefix"/>0, 1, ...</summary>
    public int Shards { get; init; } = 2;

    /// <summary>Members of each shard's replica set.</summary>
    public int MembersPerShard { get; init; } = 1;

    /// <summary>Members of the config server replica set.</summary>
    public int ConfigServerMembers { get; init; } = 1;

    /// <summary>Shard names and replica-set names: <c>shard0</c>, <c>shard1</c>, ... by default.</summary>
    public string ShardNamePrefix { get; init; } = "shard";

    /// <summary>The config server replica set's name (KubeDB names it after the database; MongoDB's tutorials use <c>configRepl</c>).</summary>
    public string ConfigServerName { get; init; } = "configRepl";

    /// <summary>
    /// How often the balancer runs a round when it is on (MongoDB: every 10 s); null: rounds only when asked
    /// (<see cref="ShardedMongoEmulator.BalanceAsync"/>), so tests decide when chunks move.
    /// </summary>
    public TimeSpan? BalancerInterval { get; init; }

    /// <summary>The periodic no-op writer of every replica set (MongoDB's periodicNoopIntervalSecs); null turns it off.</summary>
    public TimeSpan? PeriodicNoopInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Cap of each replica set's oplog in bytes.</summary>
    public long OplogSizeBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The clock behind every replica set's <c>ts</c> and <c>wall</c>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
