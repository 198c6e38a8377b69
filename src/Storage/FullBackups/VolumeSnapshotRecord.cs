namespace Archiver.Storage.FullBackups;

/// <summary>
/// One component's data volume as a CSI volume snapshot took it (the <c>CSISnapshotter</c> driver): which
/// <c>VolumeSnapshot</c> (snapshot.storage.k8s.io/v1) holds it, of which claim of which member, and the exact oplog
/// position the member had applied when it was locked (<c>fsync</c> with <c>lock: true</c>) for the cut. A restore
/// from it starts the member's data from the snapshot and replays the oplog strictly after <see cref="Ts"/>. KubeDB
/// records only the snapshot's time and replays from the start of the oplog chunk that holds it; the exact position
/// is what lets a restore start where the data ends instead.
/// </summary>
/// <param name="Component">The replica set (the oplog component) the volume belongs to.</param>
/// <param name="Namespace">The VolumeSnapshot's namespace (the database's).</param>
/// <param name="Name">The VolumeSnapshot's name.</param>
/// <param name="ClassName">Its VolumeSnapshotClass: its driver restores it, its deletionPolicy decides the content's fate.</param>
/// <param name="Claim">The PersistentVolumeClaim it was taken of (KubeDB's <c>datadir-{db}-{i}</c>).</param>
/// <param name="Member">The member (host:port) that was locked for the cut.</param>
/// <param name="Ts">The last oplog entry the member had applied when it was locked: the data is exactly up to it.</param>
/// <param name="WallUnixMs">That entry's wall time.</param>
/// <param name="RestoreSizeBytes">The snapshot's <c>status.restoreSize</c>: a claim restored from it must ask at least this much.</param>
/// <param name="ContentName">The bound VolumeSnapshotContent (cluster-scoped).</param>
/// <param name="SnapshotHandle">
/// The CSI driver's handle of the snapshot, to bind a pre-provisioned content elsewhere; null when the taker may not read
/// the cluster-scoped content (a backup Job, bound in its namespace only: then read from <see cref="ContentName"/>).
/// </param>
/// <param name="Driver">The CSI driver that took it; null, as the handle, when the content could not be read.</param>
/// <param name="CreatedAt">The snapshot's <c>status.creationTime</c>: when it was cut (the member was unlocked then).</param>
/// <param name="ReadyAt">When it was seen <c>readyToUse</c>.</param>
public sealed record VolumeSnapshotRecord(
    string Component,
    string Namespace,
    string Name,
    string ClassName,
    string Claim,
    string Member,
    OplogTimestamp Ts,
    long WallUnixMs,
    long RestoreSizeBytes,
    string? ContentName,
    string? SnapshotHandle,
    string? Driver,
    DateTimeOffset CreatedAt,
    DateTimeOffset ReadyAt);
