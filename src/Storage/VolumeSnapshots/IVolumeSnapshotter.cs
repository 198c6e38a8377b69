namespace Archiver.Storage.VolumeSnapshots;

/// <summary>
/// Takes CSI volume snapshots of a claim (a <c>VolumeSnapshot</c> of snapshot.storage.k8s.io/v1 in a cluster; see
/// src/Kubernetes/KubernetesVolumeSnapshotter.cs). A port, so the backup's steps are tested without a cluster.
/// </summary>
public interface IVolumeSnapshotter
{
    /// <summary>
    /// Checks, before anything is locked, that the request can be met: its class exists (and names a driver), its claim
    /// exists and is bound. Throws <see cref="VolumeSnapshotFailedException"/> naming what is missing.
    /// </summary>
    Task PrecheckAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken);

    /// <summary>Asks for the snapshot of the request's claim with its class; one that exists already under the name is taken up (a retried step).</summary>
    Task CreateAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until the snapshot is cut (its <c>status.creationTime</c>: the data is taken, though maybe not yet
    /// uploaded) and returns that time. Throws <see cref="VolumeSnapshotFailedException"/> when the snapshot reports an error.
    /// </summary>
    Task<DateTimeOffset> WaitCutAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Waits until the snapshot is <c>readyToUse</c>. Throws <see cref="VolumeSnapshotFailedException"/> on an error.</summary>
    Task<VolumeSnapshotReady> WaitReadyAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Before a restore makes claims from the snapshot: its class exists, the snapshot exists, and it is (or becomes)
    /// <c>readyToUse</c>. Throws <see cref="VolumeSnapshotFailedException"/> naming what is missing or the snapshot's
    /// error; waits for readiness until cancelled.
    /// </summary>
    Task<VolumeSnapshotReady> WaitRestorableAsync(string @namespace, string name, string className, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a backup's snapshot can still be restored from, without waiting (for a scrub): it exists and is
    /// <c>readyToUse</c>, or why not, in one line (deleted, its error, not ready).
    /// </summary>
    Task<VolumeSnapshotState> StateOfAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Deletes the snapshot (its content follows its class's deletionPolicy); a missing one is not an error.</summary>
    Task DeleteAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Makes a recorded snapshot restorable in another namespace (a claim's data source is a VolumeSnapshot of its own
    /// namespace): a pre-provisioned VolumeSnapshotContent with the snapshot's driver handle, deletion policy
    /// <c>Retain</c> (deleting the copy never deletes the backup's data), bound to a new VolumeSnapshot of the same name
    /// in <paramref name="namespace"/>. Returns once the copy is <c>readyToUse</c>; a copy made before by the same restore
    /// is taken up. Throws <see cref="VolumeSnapshotFailedException"/> naming what is missing (no handle recorded or
    /// readable, the driver no longer has the snapshot, the name taken by another snapshot).
    /// </summary>
    Task<VolumeSnapshotReady> BindCopyAsync(FullBackups.VolumeSnapshotRecord source, string @namespace, CancellationToken cancellationToken);

    /// <summary>Deletes a copy made by <see cref="BindCopyAsync"/> and its content (the data stays: the content retains it); a missing one is not an error.</summary>
    Task DeleteCopyAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Waits until every named PersistentVolumeClaim of the namespace exists (as a StatefulSet makes them, one member after another).</summary>
    Task WaitClaimsMadeAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken);

    /// <summary>
    /// Why a claim made from a snapshot has no volume yet: the first of <paramref name="claims"/> that is Pending, with
    /// its provisioner's latest warning (<c>ProvisioningFailed</c>: a class whose driver cannot restore the snapshot, a
    /// size below the snapshot's) and since when it has said the same; null when none is Pending or none says why.
    /// </summary>
    Task<ClaimTrouble?> ClaimTroubleAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken);
}
