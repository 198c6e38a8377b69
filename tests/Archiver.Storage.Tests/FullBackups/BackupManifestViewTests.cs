using Archiver.Storage.FullBackups;

namespace Archiver.Storage.Tests.FullBackups;

/// <summary>
/// A component's view of a backup (<see cref="BackupManifest.ForComponent"/>), as a sharded restore restores each
/// replica set from: a volume snapshot's component holds its own cut and replays strictly after it; a logical dump's
/// components share the backup's T0 and T1.
/// </summary>
public sealed class BackupManifestViewTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 8, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_sharded_volume_snapshot_backup_gives_each_component_its_own_cut_and_no_replay_from()
    {
        var manifest = Manifest(["configRepl", "shard0", "shard1"], "configRepl") with
        {
            ConsistentAt = new OplogTimestamp(300, 1),
            ConsistentWallUnixMs = 300_000,
            ReplayFrom = new OplogTimestamp(100, 2),
            VolumeSnapshots = [Snapshot("configRepl", new OplogTimestamp(200, 7), 200_000), Snapshot("shard0", new OplogTimestamp(300, 1), 300_000), Snapshot("shard1", new OplogTimestamp(100, 2), 100_000)],
        };

        var config = manifest.ForComponent("configRepl");
        var shard1 = manifest.ForComponent("shard1");

        Assert.Equal((new OplogTimestamp(200, 7), 200_000L, (OplogTimestamp?)null), (config.ConsistentAt, config.ConsistentWallUnixMs, config.ReplayFrom));
        Assert.Equal(new OplogTimestamp(200, 7), config.ReplayAfter);
        Assert.Equal(("configRepl", (string?)null, false), (Assert.Single(config.VolumeSnapshots).Component, config.ConfigServer, config.IsSharded));
        Assert.Equal(["configRepl"], config.Components);
        Assert.Equal((new OplogTimestamp(100, 2), 100_000L, (OplogTimestamp?)null), (shard1.ConsistentAt, shard1.ConsistentWallUnixMs, shard1.ReplayFrom));
        Assert.Equal("shard1", Assert.Single(shard1.VolumeSnapshots).Component);
        // The whole backup is unchanged: consistent at the newest cut, replayed from the oldest.
        Assert.Equal((new OplogTimestamp(300, 1), (OplogTimestamp?)new OplogTimestamp(100, 2)), (manifest.ConsistentAt, manifest.ReplayFrom));
    }

    [Fact]
    public void A_replica_sets_volume_snapshot_backup_is_its_own_view()
    {
        var manifest = Manifest(["rs0"], null) with
        {
            ConsistentAt = new OplogTimestamp(50, 3),
            ConsistentWallUnixMs = 50_000,
            VolumeSnapshots = [Snapshot("rs0", new OplogTimestamp(50, 3), 50_000)],
        };

        var view = manifest.ForComponent("rs0");

        Assert.Equal((manifest.ConsistentAt, manifest.ConsistentWallUnixMs, manifest.ReplayFrom, manifest.ReplayAfter), (view.ConsistentAt, view.ConsistentWallUnixMs, view.ReplayFrom, view.ReplayAfter));
        Assert.Equal(manifest.Components, view.Components);
        Assert.Equal(manifest.VolumeSnapshots, view.VolumeSnapshots);
    }

    [Fact]
    public void A_sharded_logical_backup_gives_each_component_the_backups_t0_and_t1()
    {
        var manifest = Manifest(["configRepl", "shard0"], "configRepl") with
        {
            ConsistentAt = new OplogTimestamp(300, 1),
            ConsistentWallUnixMs = 300_000,
            ReplayFrom = new OplogTimestamp(100, 2),
            Files = [new BackupFile("shard0-shop.orders", "shard0", 1, 1, "00", "zstd")],
        };

        var shard0 = manifest.ForComponent("shard0");

        Assert.Equal((new OplogTimestamp(300, 1), 300_000L, (OplogTimestamp?)new OplogTimestamp(100, 2)), (shard0.ConsistentAt, shard0.ConsistentWallUnixMs, shard0.ReplayFrom));
        Assert.Single(shard0.Files);
        Assert.Empty(manifest.ForComponent("configRepl").Files);
    }

    private static BackupManifest Manifest(IReadOnlyList<string> components, string? configServer) => new()
    {
        Id = "b1",
        Driver = "CSISnapshotter",
        Components = components,
        ConfigServer = configServer,
        Timeline = 1,
        StartedAt = At,
        FinishedAt = At,
        Status = BackupStatus.Succeeded,
    };

    private static VolumeSnapshotRecord Snapshot(string component, OplogTimestamp ts, long wall) =>
        new(component, "demo", $"mg-full-{component.ToLowerInvariant()}", "csi", $"datadir-{component}-0", $"{component}-0:27017", ts, wall, 1024, null, null, null, At, At);
}
