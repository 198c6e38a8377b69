namespace Archiver.Storage.Catalog;

/// <summary>
/// Times a database can be restored to: from a successful backup's consistent point to the end of the continuous
/// oplog that reaches it (for every component of the backup). A backup with no oplog after it is a single point.
/// A backup taken while writes went on (<see cref="FullBackups.BackupManifest.ReplayFrom"/>) needs the oplog from
/// its T0 on; without it, it is not <see cref="Restorable"/> at all.
/// </summary>
public sealed record RecoverableWindow(
    uint Timeline,
    string BackupId,
    OplogTimestamp FromTs,
    long FromWallUnixMs,
    OplogTimestamp ToTs,
    long ToWallUnixMs)
{
    public bool Restorable { get; init; } = true;

    /// <summary>
    /// For a backup of several components (a sharded cluster's replica sets): the one whose archive ends first, where
    /// the window ends (a point of the cluster needs every replica set's archive); null for one component.
    /// </summary>
    public string? LimitedBy { get; init; }

    /// <summary>
    /// A replica set archived on the timeline after the backup's point that the backup does not hold (a shard added to
    /// the cluster): the window ends where it joined (before its archive's first entry after the backup's start, or at
    /// the backup's own point when its archive began earlier), since from there the cluster's data is no longer all in
    /// the backup's replica sets; null when none did.
    /// </summary>
    public string? JoinedBy { get; init; }

    public DateTimeOffset From => DateTimeOffset.FromUnixTimeMilliseconds(FromWallUnixMs);

    public DateTimeOffset To => DateTimeOffset.FromUnixTimeMilliseconds(ToWallUnixMs);
}
