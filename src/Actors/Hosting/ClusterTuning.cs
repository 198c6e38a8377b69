namespace Archiver.Actors.Hosting;

/// <summary>
/// Settings Akka.Hosting has no options for. Each value is explained in docs/cluster.md; together they bring an
/// entity of a crashed node back on a survivor in 7–9 s instead of about 48 s. The singleton proxy's
/// identification-failure log is off: Akka.NET 1.5 fires its first check at once, so every start warned that the
/// resource watcher was not found "after 30 seconds" in the millisecond it was found (akkadotnet/akka.net#8568).
/// </summary>
internal static class ClusterTuning
{
    public static string For(ArchiverNodeOptions options)
    {
        const string always = """
            akka.cluster.sharding.remember-entities = on
            akka.cluster.sharding.remember-entities-store = eventsourced
            akka.cluster.sharding.state-store-mode = persistence
            akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
            akka.cluster.split-brain-resolver.active-strategy = keep-majority
            akka.cluster.sharding.waiting-for-state-timeout = 30s
            akka.cluster.sharding.updating-state-timeout = 30s
            akka.cluster.singleton-proxy.log-singleton-identification-failure = off
            """;
        const string fast = """
            akka.cluster.failure-detector.heartbeat-interval = 500ms
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
            akka.cluster.split-brain-resolver.stable-after = 2s
            akka.cluster.down-removal-margin = 500ms
            akka.cluster.leader-actions-interval = 250ms
            akka.cluster.unreachable-nodes-reaper-interval = 250ms
            akka.cluster.gossip-interval = 250ms
            akka.cluster.seed-node-timeout = 1s
            akka.cluster.sharding.handoff-timeout = 5s
            akka.cluster.singleton.hand-over-retry-interval = 200ms
            """;
        return options.FastFailover ? always + "\n" + fast : always;
    }
}
