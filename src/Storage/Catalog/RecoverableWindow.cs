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

    public DateTimeOffset From => DateTimeOffset.FromUnixTimeMilliseconds(FromWallUnixMs);

    public DateTimeOffset To => DateTimeOffset.FromUnixTimeMilliseconds(ToWallUnixMs);
}
