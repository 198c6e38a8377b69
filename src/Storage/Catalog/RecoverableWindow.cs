namespace Archiver.Storage.Catalog;

/// <summary>
/// Times a database can be restored to: from a successful backup's consistent point to the end of the continuous
/// oplog that reaches it (for every component of the backup). A backup with no oplog after it is a single point.
/// </summary>
public sealed record RecoverableWindow(
    uint Timeline,
    string BackupId,
    OplogTimestamp FromTs,
    long FromWallUnixMs,
    OplogTimestamp ToTs,
    long ToWallUnixMs)
{
    public DateTimeOffset From => DateTimeOffset.FromUnixTimeMilliseconds(FromWallUnixMs);

    public DateTimeOffset To => DateTimeOffset.FromUnixTimeMilliseconds(ToWallUnixMs);
}
