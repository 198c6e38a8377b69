namespace Archiver.Storage.VolumeSnapshots;

/// <summary>What a scrub learns of a backup's VolumeSnapshot: usable, or gone, or there but unusable (and why).</summary>
public sealed record VolumeSnapshotState(bool Exists, string? Problem)
{
    public static readonly VolumeSnapshotState Usable = new(true, null);

    public static VolumeSnapshotState Gone(string reason) => new(false, reason);

    public static VolumeSnapshotState Unusable(string reason) => new(true, reason);
}
