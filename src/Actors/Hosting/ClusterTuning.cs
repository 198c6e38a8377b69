using System.Globalization;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Remote.Hosting;

namespace Archiver.Actors.Hosting;

/// <summary>
/// <see cref="ArchiverNodeOptions"/> as Akka settings: through Akka.Hosting's typed options where it has them
/// (<see cref="Remote"/>, <see cref="Clustering"/>), and as one generated HOCON fragment (<see cref="Hocon"/>) for
/// the rest. Each value is explained in docs/cluster.md. The singleton proxy's identification-failure log is off:
/// Akka.NET 1.5 fires its first check at once, so every start warned that the resource watcher was not found
/// "after 30 seconds" in the millisecond it was found (akkadotnet/akka.net#8568).
/// </summary>
internal static class ClusterTuning
{
    public static RemoteOptions Remote(ArchiverNodeOptions options) => new()
    {
        HostName = options.Hostname,
        Port = options.Port,
        PublicHostName = options.PublicHostname,
        MaxFrameSize = options.MaximumFrameSize,
    };

    public static ClusterOptions Clustering(ArchiverNodeOptions options) => new()
    {
        SeedNodes = [.. options.SeedNodes],
        // Keep-majority: the smaller side of a partition downs itself; a crashed node is a side of one.
        SplitBrainResolver = new KeepMajorityOption(),
        FailureDetector = new PhiAccrualFailureDetectorOptions
        {
            HeartbeatInterval = options.Cluster.HeartbeatInterval,
            AcceptableHeartbeatPause = options.Cluster.AcceptableHeartbeatPause,
        },
    };

    /// <summary>The settings Akka.Hosting has no typed option for, generated from the options in this one place.</summary>
    public static string Hocon(ClusterTuningOptions tuning) => string.Join('\n',
        // Fixed choices, not tuning (docs/cluster.md): remembered entities and coordinator state in the journal.
        "akka.cluster.sharding.remember-entities = on",
        "akka.cluster.sharding.remember-entities-store = eventsourced",
        "akka.cluster.sharding.state-store-mode = persistence",
        "akka.cluster.singleton-proxy.log-singleton-identification-failure = off",
        $"akka.cluster.split-brain-resolver.stable-after = {Duration(tuning.StableAfter)}",
        $"akka.cluster.down-removal-margin = {(tuning.DownRemovalMargin is { } margin ? Duration(margin) : "off")}",
        $"akka.cluster.leader-actions-interval = {Duration(tuning.LeaderActionsInterval)}",
        $"akka.cluster.unreachable-nodes-reaper-interval = {Duration(tuning.UnreachableNodesReaperInterval)}",
        $"akka.cluster.gossip-interval = {Duration(tuning.GossipInterval)}",
        $"akka.cluster.seed-node-timeout = {Duration(tuning.SeedNodeTimeout)}",
        $"akka.cluster.sharding.handoff-timeout = {Duration(tuning.HandoffTimeout)}",
        $"akka.cluster.sharding.waiting-for-state-timeout = {Duration(tuning.ShardWaitingForStateTimeout)}",
        $"akka.cluster.sharding.updating-state-timeout = {Duration(tuning.ShardUpdatingStateTimeout)}",
        $"akka.cluster.singleton.hand-over-retry-interval = {Duration(tuning.SingletonHandOverRetryInterval)}");

    // Whole milliseconds, rounded up so that a positive value never becomes 0.
    private static string Duration(TimeSpan value) =>
        string.Create(CultureInfo.InvariantCulture, $"{(long)Math.Ceiling(value.TotalMilliseconds)}ms");
}
