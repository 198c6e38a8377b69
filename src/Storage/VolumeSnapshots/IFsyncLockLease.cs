namespace Archiver.Storage.VolumeSnapshots;

/// <summary>
/// A record, outside the process, that a member is held by <c>fsync</c> with <c>lock: true</c>: mongod keeps such a
/// lock after the connection that took it is gone (MongoDB's fsync docs: the lock outlives the client until
/// <c>fsyncUnlock</c>), so a backup process killed while it held one would leave the member refusing writes for good.
/// The holder renews the record while it holds the lock; a record not renewed in time tells whoever finds it (the next
/// attempt, the node watching the Job) that a lock may be left, on which member, and that it is theirs to release. In a
/// cluster it is a coordination.k8s.io Lease (src/Kubernetes/KubernetesFsyncLockLease.cs), as leader election keeps one.
/// </summary>
public interface IFsyncLockLease
{
    /// <summary>Records that <paramref name="member"/> is about to be locked by this holder; renewed until <see cref="ReleaseAsync"/>.</summary>
    Task AcquireAsync(string member, CancellationToken cancellationToken);

    /// <summary>Renews the record (called while the lock is held).</summary>
    Task RenewAsync(CancellationToken cancellationToken);

    /// <summary>Removes the record once the member is unlocked.</summary>
    Task ReleaseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A record left by a holder that stopped renewing it (or that held the lock past the deadline): the member it
    /// names may still be locked. Null when there is none, or it is fresh.
    /// </summary>
    Task<StaleFsyncLock?> FindStaleAsync(TimeSpan deadline, CancellationToken cancellationToken);

    /// <summary>Removes a stale record once its member is unlocked; a record renewed since (a holder alive after all) is kept.</summary>
    Task ClearAsync(StaleFsyncLock stale, CancellationToken cancellationToken);
}
