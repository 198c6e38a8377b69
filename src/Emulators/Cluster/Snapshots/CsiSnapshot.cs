using System.Globalization;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// A snapshot as CSI's <c>Snapshot</c> message gives it: <c>snapshot_id</c>, <c>source_volume_id</c>,
/// <c>creation_time</c> (Unix nanoseconds, as the content's status keeps it), <c>size_bytes</c> (0: not known yet),
/// <c>ready_to_use</c>; with the name it was created under and when it becomes ready.
/// </summary>
internal sealed record CsiSnapshot(string Handle, string Name, string SourceVolume, long CreationTime, long SizeBytes, bool ReadyToUse, DateTimeOffset ReadyAt)
{
    public DateTimeOffset Created => DateTimeOffset.FromUnixTimeMilliseconds(CreationTime / 1_000_000);

    public override string ToString() => $"{Handle} of {SourceVolume} at {Created.ToString("O", CultureInfo.InvariantCulture)}";
}
