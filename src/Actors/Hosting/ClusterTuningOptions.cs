namespace Archiver.Actors.Hosting;

/// <summary>
/// How fast a cluster notices a dead node and brings its entities back on a survivor. <see cref="FastFailover"/>
/// (the default) does it in 7–9 s; <see cref="AkkaDefaults"/> is Akka's own values (about 48 s). docs/cluster.md
/// explains each value and what it costs. Akka's setting each property maps to is named in its summary.
/// </summary>
public sealed record ClusterTuningOptions
{
    /// <summary>Tuned for a crash: an entity of a dead node runs again on a survivor in 7–9 s.</summary>
    public static readonly ClusterTuningOptions FastFailover = new();

    /// <summary>
    /// Akka's defaults for every failover value: for a network with slow, flapping partitions; about 48 s of failover.
    /// The shard state timeouts stay ours, as they are not about failover.
    /// </summary>
    public static readonly ClusterTuningOptions AkkaDefaults = new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(1),
        AcceptableHeartbeatPause = TimeSpan.FromSeconds(3),
        StableAfter = TimeSpan.FromSeconds(20),
        DownRemovalMargin = null,
        LeaderActionsInterval = TimeSpan.FromSeconds(1),
        UnreachableNodesReaperInterval = TimeSpan.FromSeconds(1),
        GossipInterval = TimeSpan.FromSeconds(1),
        SeedNodeTimeout = TimeSpan.FromSeconds(5),
        HandoffTimeout = TimeSpan.FromSeconds(60),
        SingletonHandOverRetryInterval = TimeSpan.FromSeconds(1),
    };

    /// <summary><c>akka.cluster.failure-detector.heartbeat-interval</c>.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>akka.cluster.failure-detector.acceptable-heartbeat-pause</c>: the silence tolerated before a node is suspected.</summary>
    public TimeSpan AcceptableHeartbeatPause { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>akka.cluster.split-brain-resolver.stable-after</c>: how long membership must be still before the resolver downs anyone.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>akka.cluster.down-removal-margin</c>; null is Akka's <c>off</c> (the same as <see cref="StableAfter"/>).</summary>
    public TimeSpan? DownRemovalMargin { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>akka.cluster.leader-actions-interval</c>.</summary>
    public TimeSpan LeaderActionsInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary><c>akka.cluster.unreachable-nodes-reaper-interval</c>.</summary>
    public TimeSpan UnreachableNodesReaperInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary><c>akka.cluster.gossip-interval</c>.</summary>
    public TimeSpan GossipInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary><c>akka.cluster.seed-node-timeout</c>.</summary>
    public TimeSpan SeedNodeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>akka.cluster.sharding.handoff-timeout</c>: how long a moving shard may take to stop its entities.</summary>
    public TimeSpan HandoffTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>akka.cluster.singleton.hand-over-retry-interval</c>.</summary>
    public TimeSpan SingletonHandOverRetryInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// <c>akka.cluster.sharding.waiting-for-state-timeout</c> (Akka: 2 s): how long a shard may take to read its
    /// remembered entities. The same in both presets: a burst of new entities queues their recoveries ahead of it.
    /// </summary>
    public TimeSpan ShardWaitingForStateTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>akka.cluster.sharding.updating-state-timeout</c> (Akka: 5 s): how long a shard may take to add to its remembered entities.</summary>
    public TimeSpan ShardUpdatingStateTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with these values, each naming its option; empty when they can be used.</summary>
    public IEnumerable<string> Problems(string prefix)
    {
        (string Name, TimeSpan Value)[] positive =
        [
            (nameof(HeartbeatInterval), HeartbeatInterval),
            (nameof(AcceptableHeartbeatPause), AcceptableHeartbeatPause),
            (nameof(StableAfter), StableAfter),
            (nameof(LeaderActionsInterval), LeaderActionsInterval),
            (nameof(UnreachableNodesReaperInterval), UnreachableNodesReaperInterval),
            (nameof(GossipInterval), GossipInterval),
            (nameof(SeedNodeTimeout), SeedNodeTimeout),
            (nameof(HandoffTimeout), HandoffTimeout),
            (nameof(SingletonHandOverRetryInterval), SingletonHandOverRetryInterval),
            (nameof(ShardWaitingForStateTimeout), ShardWaitingForStateTimeout),
            (nameof(ShardUpdatingStateTimeout), ShardUpdatingStateTimeout),
        ];
        foreach (var (name, value) in positive)
        {
            if (value <= TimeSpan.Zero) yield return $"{prefix}.{name} must be positive (is {value})";
        }

        if (DownRemovalMargin is { } margin && margin <= TimeSpan.Zero)
        {
            yield return $"{prefix}.{nameof(DownRemovalMargin)} must be positive, or null for Akka's 'off' (is {margin})";
        }

        if (HeartbeatInterval > TimeSpan.Zero && AcceptableHeartbeatPause > TimeSpan.Zero && AcceptableHeartbeatPause < HeartbeatInterval)
        {
            yield return $"{prefix}.{nameof(AcceptableHeartbeatPause)} ({AcceptableHeartbeatPause}) must be at least {prefix}.{nameof(HeartbeatInterval)} ({HeartbeatInterval}): "
                + "a pause shorter than one heartbeat would suspect every node between two heartbeats";
        }
    }
}
