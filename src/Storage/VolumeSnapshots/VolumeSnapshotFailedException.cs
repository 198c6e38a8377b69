namespace Archiver.Storage.VolumeSnapshots;

/// <summary>The volume snapshot reported an error (its class missing, its claim unbound, the driver failing), in the snapshot controller's words.</summary>
public sealed class VolumeSnapshotFailedException : Exception
{
    public VolumeSnapshotFailedException(string message)
        : base(message)
    {
    }

    public VolumeSnapshotFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public VolumeSnapshotFailedException()
    {
    }
}
