using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>The options of <see cref="ArchiverHostingExtensions.AddArchiver"/> are what a node built with it runs with.</summary>
public sealed class NodeOptionsSpecs : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-options-").FullName;

    [Fact]
    public async Task A_node_runs_with_the_cluster_tuning_and_frame_size_its_options_name()
    {
        // Values unlike both presets and Akka's defaults, so each can only come from the options.
        var tuning = new ClusterTuningOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(700),
            AcceptableHeartbeatPause = TimeSpan.FromMilliseconds(4100),
            StableAfter = TimeSpan.FromMilliseconds(3300),
            DownRemovalMargin = TimeSpan.FromMilliseconds(900),
            LeaderActionsInterval = TimeSpan.FromMilliseconds(350),
            UnreachableNodesReaperInterval = TimeSpan.FromMilliseconds(450),
            GossipInterval = TimeSpan.FromMilliseconds(550),
            SeedNodeTimeout = TimeSpan.FromMilliseconds(1700),
            HandoffTimeout = TimeSpan.FromMilliseconds(6100),
            SingletonHandOverRetryInterval = TimeSpan.FromMilliseconds(300),
            ShardWaitingForStateTimeout = TimeSpan.FromSeconds(31),
            ShardUpdatingStateTimeout = TimeSpan.FromSeconds(32),
        };
        await using var node = await StartAsync(new ArchiverNodeOptions { Cluster = tuning, MaximumFrameSize = 3_000_000 });

        Assert.Equal(Expected(tuning), Effective(node.System));
        var config = node.System.Settings.Config;
        Assert.Equal(3_000_000, config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Contains("SplitBrainResolverProvider", config.GetString("akka.cluster.downing-provider-class"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_a_node_carries_messages_of_8_MiB_with_the_fast_failover_tuning()
    {
        await using var node = await StartAsync(new ArchiverNodeOptions());

        Assert.Equal(8L * 1024 * 1024, node.System.Settings.Config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal(Expected(ClusterTuningOptions.FastFailover), Effective(node.System));
    }

    [Fact]
    public async Task The_AkkaDefaults_preset_is_what_Akka_itself_would_run_with()
    {
        await using var node = await StartAsync(new ArchiverNodeOptions { Cluster = ClusterTuningOptions.AkkaDefaults });
        // A cluster system configured by nobody: Akka's reference values.
        using var plain = ActorSystem.Create("plain", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.port = 0
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            """).WithFallback(ClusterSharding.DefaultConfig()).WithFallback(ClusterSingleton.DefaultConfig()));

        // Except how long a shard may take over its remembered entities: ours in both presets (docs/cluster.md).
        static bool Failover(string setting) => !setting.Contains("-state-timeout", StringComparison.Ordinal);
        Assert.Equal(Effective(plain).Where(Failover), Effective(node.System).Where(Failover));
        Assert.Equal(["waiting-for-state-timeout 00:00:30", "updating-state-timeout 00:00:30"], Effective(node.System).Where(s => !Failover(s)));
        await plain.Terminate();
    }

    [Fact]
    public void Options_a_node_cannot_run_with_are_refused_naming_each_option()
    {
        var options = new ArchiverNodeOptions
        {
            MaximumFrameSize = 1000,
            Cluster = ClusterTuningOptions.FastFailover with
            {
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                AcceptableHeartbeatPause = TimeSpan.FromMilliseconds(500),
                GossipInterval = TimeSpan.Zero,
                DownRemovalMargin = TimeSpan.FromSeconds(-1),
            },
        };

        Assert.Equal(
            [
                "ArchiverNodeOptions.MaximumFrameSize must be at least 32000 bytes, Akka's floor (is 1000)",
                "ArchiverNodeOptions.Cluster.GossipInterval must be positive (is 00:00:00)",
                "ArchiverNodeOptions.Cluster.DownRemovalMargin must be positive, or null for Akka's 'off' (is -00:00:01)",
                "ArchiverNodeOptions.Cluster.AcceptableHeartbeatPause (00:00:00.5000000) must be at least ArchiverNodeOptions.Cluster.HeartbeatInterval (00:00:01): "
                    + "a pause shorter than one heartbeat would suspect every node between two heartbeats",
            ],
            options.Problems());
        Assert.Empty(new ArchiverNodeOptions().Problems());
        Assert.Empty(new ArchiverNodeOptions { Cluster = ClusterTuningOptions.AkkaDefaults }.Problems());
    }

    [Fact]
    public async Task A_node_is_not_started_with_options_it_cannot_run_with()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(new ArchiverNodeOptions { MaximumFrameSize = 1000 }));

        Assert.Contains("ArchiverNodeOptions.MaximumFrameSize must be at least 32000 bytes", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<ArchiverNode> StartAsync(ArchiverNodeOptions options) =>
        ArchiverNode.StartAsync(
            options with { Journal = JournalOptions.Sqlite(Path.Combine(_folder, $"{Guid.NewGuid():N}.db")) },
            new InMemoryResourceStore(),
            new InProcessWorkloads());

    private static IReadOnlyList<string> Expected(ClusterTuningOptions tuning) =>
    [
        $"heartbeat-interval {tuning.HeartbeatInterval}",
        $"acceptable-heartbeat-pause {tuning.AcceptableHeartbeatPause}",
        $"stable-after {tuning.StableAfter}",
        $"down-removal-margin {(tuning.DownRemovalMargin is { } margin ? $"{margin.TotalMilliseconds}ms" : "off")}",
        $"leader-actions-interval {tuning.LeaderActionsInterval}",
        $"unreachable-nodes-reaper-interval {tuning.UnreachableNodesReaperInterval}",
        $"gossip-interval {tuning.GossipInterval}",
        $"seed-node-timeout {tuning.SeedNodeTimeout}",
        $"handoff-timeout {tuning.HandoffTimeout}",
        $"waiting-for-state-timeout {tuning.ShardWaitingForStateTimeout}",
        $"updating-state-timeout {tuning.ShardUpdatingStateTimeout}",
        $"hand-over-retry-interval {tuning.SingletonHandOverRetryInterval}",
    ];

    /// <summary>The values as Akka's own settings classes read them, the way the cluster, sharding and singletons will.</summary>
    private static IReadOnlyList<string> Effective(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system).Settings;
        var sharding = ClusterShardingSettings.Create(system).TuningParameters;
        var singleton = ClusterSingletonManagerSettings.Create(system);
        var config = system.Settings.Config;
        return
        [
            $"heartbeat-interval {cluster.HeartbeatInterval}",
            $"acceptable-heartbeat-pause {cluster.FailureDetectorConfig.GetTimeSpan("acceptable-heartbeat-pause")}",
            $"stable-after {config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after")}",
            $"down-removal-margin {config.GetString("akka.cluster.down-removal-margin")}",
            $"leader-actions-interval {cluster.LeaderActionsInterval}",
            $"unreachable-nodes-reaper-interval {cluster.UnreachableNodesReaperInterval}",
            $"gossip-interval {cluster.GossipInterval}",
            $"seed-node-timeout {cluster.SeedNodeTimeout}",
            $"handoff-timeout {sharding.HandOffTimeout}",
            $"waiting-for-state-timeout {sharding.WaitingForStateTimeout}",
            $"updating-state-timeout {sharding.UpdatingStateTimeout}",
            $"hand-over-retry-interval {singleton.HandOverRetryInterval}",
        ];
    }
}
