using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Kubernetes;

/// <summary>The VolumeSnapshots of CSISnapshotter backups, deleted when retention deletes their backups.</summary>
public sealed partial class KubernetesWorkloads
{
    public async Task DeleteVolumeSnapshotsAsync(IReadOnlyList<VolumeSnapshotRef> snapshots, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var snapshotter = new KubernetesVolumeSnapshotter(client);
        foreach (var snapshot in snapshots)
        {
            await ApiServerErrors.ForbiddenAsPortErrorAsync(() => snapshotter.DeleteAsync(snapshot.Namespace, snapshot.Name, cancellation));
        }
    }
}
