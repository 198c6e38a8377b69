namespace Archiver.Mongo.Backup.VolumeSnapshots;

/// <summary>How a volume-snapshot full backup is taken (the <c>CSISnapshotter</c> driver).</summary>
public sealed record VolumeSnapshotBackupOptions
{
    /// <summary>The replica set (component) the backup belongs to; the name the archiver files chunks under.</summary>
    public required string Component { get; init; }

    public required uint Timeline { get; init; }

    /// <summary>The namespace the claims and the snapshot are in (the database's).</summary>
    public required string Namespace { get; init; }

    /// <summary>The VolumeSnapshot's name (one per backup and replica set).</summary>
    public required string SnapshotName { get; init; }

    /// <summary>The archiver's <c>spec.fullBackup.csiSnapshotter.volumeSnapshotClassName</c>.</summary>
    public required string VolumeSnapshotClass { get; init; }

    /// <summary>The claim holding a member's data, from its host (KubeDB: <c>datadir-{pod}</c>, the pod being the host's first label).</summary>
    public required Func<string, string> ClaimOf { get; init; }

    /// <summary>What takes the backup, recorded in its manifest (the backup Job's name), so its waiter finds it; default the snapshot's name.</summary>
    public string? Origin { get; init; }

    /// <summary>Labels of the snapshot (whose backup it is).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The longest a member stays locked: a snapshot not cut by then fails the backup, the member unlocked. A CSI cut
    /// takes seconds (the upload, after it, does not hold the lock); a lock held long is a replica set with one fewer
    /// member taking writes, and a secondary that falls behind the oplog window.
    /// </summary>
    public TimeSpan LockDeadline { get; init; } = DefaultLockDeadline;

    /// <summary>The default of <see cref="LockDeadline"/>: also how old a lock record must be before anyone else releases its lock.</summary>
    public static readonly TimeSpan DefaultLockDeadline = TimeSpan.FromMinutes(2);

    /// <summary>How long the snapshot may take to become ready to use (its upload), the member unlocked meanwhile.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the lock's record is renewed while the member is locked.</summary>
    public TimeSpan LeaseRenewal { get; init; } = TimeSpan.FromSeconds(2);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
