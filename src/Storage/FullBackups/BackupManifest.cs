namespace Archiver.Storage.FullBackups;

/// <summary>
/// Describes a finished full backup; written last, so its presence means the files are all there. The backup is
/// consistent at <see cref="ConsistentAt"/>: a restore replays the oplog strictly after that <c>ts</c>.
/// </summary>
public sealed record BackupManifest
{
    public int FormatVersion { get; init; } = 1;

    public required string Id { get; init; }

    /// <summary>How the data was taken (e.g. <c>mongodump</c>, <c>VolumeSnapshotter</c>); opaque to storage.</summary>
    public required string Driver { get; init; }

    public required IReadOnlyList<string> Components { get; init; }

    /// <summary>
    /// For a sharded cluster's backup, which of <see cref="Components"/> is the config server; the others are the
    /// shards, each named by its replica set. Null for a replica set's backup (one component).
    /// </summary>
    public string? ConfigServer { get; init; }

    /// <summary>Whether this is a sharded cluster's backup.</summary>
    public bool IsSharded => ConfigServer is not null;

    /// <summary>The shards' components of a sharded cluster's backup (all but the config server), in order.</summary>
    public IEnumerable<string> ShardComponents => Components.Where(c => c != ConfigServer);

    /// <summary>
    /// This backup as one of its components sees it: that component alone, with its files. A sharded cluster's restore
    /// restores each replica set from its own view.
    /// <para>
    /// A logical dump's components share the backup's T0 and T1: each replays from T0 and is consistent at T1. A volume
    /// snapshot's component holds exactly its own cut (<see cref="VolumeSnapshotRecord.Ts"/>, each replica set's taken at
    /// its own time), so its view is consistent there and replays strictly after it, whatever the other cuts were.
    /// </para>
    /// </summary>
    public BackupManifest ForComponent(string component)
    {
        var view = this with
        {
            Components = [component],
            ConfigServer = null,
            Files = [.. Files.Where(f => f.Component == component)],
            VolumeSnapshots = [.. VolumeSnapshots.Where(v => v.Component == component)],
        };
        return view.VolumeSnapshots is [var own]
            ? view with { ConsistentAt = own.Ts, ConsistentWallUnixMs = own.WallUnixMs, ReplayFrom = null }
            : view;
    }

    public required uint Timeline { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required BackupStatus Status { get; init; }

    public OplogTimestamp ConsistentAt { get; init; }

    public long ConsistentWallUnixMs { get; init; }

    /// <summary>
    /// For a backup taken while writes went on (a logical dump): the oplog position noted before the data was
    /// read (T0). The data may hold any write after it, so a restore replays the oplog strictly after this
    /// <c>ts</c>, and the result is consistent from <see cref="ConsistentAt"/> (T1) on. Null: replay starts
    /// after <see cref="ConsistentAt"/>.
    /// </summary>
    public OplogTimestamp? ReplayFrom { get; init; }

    /// <summary>Where a restore's oplog replay starts: <see cref="ReplayFrom"/> if set, else <see cref="ConsistentAt"/>.</summary>
    public OplogTimestamp ReplayAfter => ReplayFrom ?? ConsistentAt;

    public IReadOnlyList<BackupFile> Files { get; init; } = [];

    /// <summary>
    /// For a backup taken as CSI volume snapshots (no files): one per component, each with the exact oplog position
    /// its data holds; <see cref="ConsistentAt"/> is then that position (one component: a replica set). A sharded
    /// cluster's cuts each hold their own position: <see cref="ConsistentAt"/> is the newest of them (every replica set
    /// replayed from its own cut to there) and <see cref="ReplayFrom"/> the oldest.
    /// </summary>
    public IReadOnlyList<VolumeSnapshotRecord> VolumeSnapshots { get; init; } = [];

    /// <summary>Whether the data is in volume snapshots rather than in files of the repository.</summary>
    public bool IsVolumeSnapshot => VolumeSnapshots.Count > 0;

    public string? Error { get; init; }

    /// <summary>What took it (<see cref="BackupStart.Origin"/>), e.g. the backup Job's name; null for a node's own backup.</summary>
    public string? Origin { get; init; }

    /// <summary>Bytes of the backup's files in the repository (none for volume snapshots, which their driver keeps).</summary>
    public long TotalStoredBytes => Files.Sum(f => f.StoredSize);
}
