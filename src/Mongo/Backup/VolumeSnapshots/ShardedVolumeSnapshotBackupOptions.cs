namespace Archiver.Mongo.Backup.VolumeSnapshots;

/// <summary>
/// How a sharded cluster's volume-snapshot full backup is taken (<see cref="ShardedVolumeSnapshotBackup"/>): what
/// every replica set's cut shares; each cut's own snapshot name is derived from <see cref="SnapshotBaseName"/>.
/// </summary>
public sealed record ShardedVolumeSnapshotBackupOptions
{
    public required uint Timeline { get; init; }

    /// <summary>The namespace the claims and the snapshots are in (the database's).</summary>
    public required string Namespace { get; init; }

    /// <summary>The backup's name; each replica set's VolumeSnapshot is named after it and its component (<see cref="ShardedVolumeSnapshotBackup.SnapshotNameOf"/>).</summary>
    public required string SnapshotBaseName { get; init; }

    /// <summary>The archiver's <c>spec.fullBackup.csiSnapshotter.volumeSnapshotClassName</c>.</summary>
    public required string VolumeSnapshotClass { get; init; }

    /// <summary>
    /// The claim holding a member's data, from its host. Hosts differ across the replica sets, and so do their claims
    /// (KubeDB: <c>datadir-{pod}</c>, the pod being the host's first label, e.g. <c>{db}-shard0-1</c>).
    /// </summary>
    public required Func<string, string> ClaimOf { get; init; }

    /// <summary>What takes the backup, recorded in its manifest (the backup Job's name); default <see cref="SnapshotBaseName"/>.</summary>
    public string? Origin { get; init; }

    /// <summary>Labels of every snapshot (whose backup it is).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The longest each member stays locked (<see cref="VolumeSnapshotBackupOptions.LockDeadline"/>).</summary>
    public TimeSpan LockDeadline { get; init; } = VolumeSnapshotBackupOptions.DefaultLockDeadline;

    /// <summary>How long each snapshot may take to become ready to use, its member unlocked meanwhile.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often each lock's record is renewed while its member is locked.</summary>
    public TimeSpan LeaseRenewal { get; init; } = TimeSpan.FromSeconds(2);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
