using Archiver.Mongo.Backup.VolumeSnapshots;
using Xunit;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>Each replica set's VolumeSnapshot name: its backup's and its component's, a valid object name within 63 characters, never shared.</summary>
public sealed class ShardedVolumeSnapshotNameTests
{
    [Fact]
    public void A_short_lower_case_name_is_the_base_and_the_component()
    {
        Assert.Equal("mg-full-1-1-shard0", ShardedVolumeSnapshotBackup.SnapshotNameOf("mg-full-1-1", "shard0"));
    }

    [Fact]
    public void A_component_that_is_not_an_object_name_is_lower_cased_with_a_hash_so_it_meets_no_other()
    {
        var upper = ShardedVolumeSnapshotBackup.SnapshotNameOf("mg-full-1-1", "configRepl");
        var lower = ShardedVolumeSnapshotBackup.SnapshotNameOf("mg-full-1-1", "configrepl");

        Assert.Matches("^mg-full-1-1-configrepl-[0-9a-f]{8}$", upper);
        Assert.Equal("mg-full-1-1-configrepl", lower);
        Assert.Matches("^[a-z0-9.-]+$", ShardedVolumeSnapshotBackup.SnapshotNameOf("mg", "rs_0/x"));
    }

    [Fact]
    public void A_name_too_long_is_cut_to_63_with_a_hash_of_the_whole()
    {
        var database = new string('d', 50);
        var shard0 = ShardedVolumeSnapshotBackup.SnapshotNameOf($"{database}-full-20261208-1", $"{database}-shard0");
        var shard1 = ShardedVolumeSnapshotBackup.SnapshotNameOf($"{database}-full-20261208-1", $"{database}-shard1");

        Assert.Equal(63, shard0.Length);
        Assert.True(shard1.Length <= 63);
        Assert.NotEqual(shard0, shard1);
        Assert.Matches("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", shard0);
    }
}
