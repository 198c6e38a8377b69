namespace Archiver.Messages.Protocol.StorageIndexes;

/// <summary>Addressed to the StorageIndex of one backup storage.</summary>
public interface IWithStorageId : IArchiverProtocolMember
{
    ResourceId StorageId { get; }
}

/// <summary>
/// The recoverable windows and oplog gaps of the repository under <paramref name="Prefix"/>: of every timeline, or,
/// with <paramref name="Owner"/> (a database's <c>metadata.uid</c>), of that database's lineage only: its own
/// timeline and what it was restored from, up to the branch point (what its status shows). With
/// <paramref name="Fresh"/>, answered from a listing started after the question: an archiver the index hears nothing
/// from (a database pod's sidecar) reports it has archived past what the index holds.
/// </summary>
public sealed record GetRecoverableWindows(ResourceId StorageId, string Prefix, string? Owner = null, bool Fresh = false) : IWithStorageId;

/// <param name="Timelines">Every timeline under the prefix: who owns it and where it branched from.</param>
/// <param name="OwnTimeline">With an owner asked for: the timeline it archives into, if it has one yet.</param>
/// <param name="Usage">What the history holds in the storage, per timeline and component (with an owner: its own timeline's).</param>
public sealed record RecoverableWindowsReply(
    string Prefix, IReadOnlyList<WindowInfo> Windows, IReadOnlyList<GapInfo> Gaps, string? Error,
    IReadOnlyList<TimelineInfo>? Timelines = null, uint? OwnTimeline = null, IReadOnlyList<StorageUsageInfo>? Usage = null) : IArchiverProtocolMember;

/// <summary>
/// One component's objects and bytes in the storage: its oplog chunks, and the files of its full backups (a volume
/// snapshot's data is the CSI driver's, not counted here).
/// </summary>
public sealed record StorageUsageInfo(uint Timeline, string Component, int OplogObjects, long OplogBytes, int BackupObjects, long BackupBytes);

/// <summary>One timeline: its owner (a database's uid) and, for a restored database's, the history and point it branched from.</summary>
public sealed record TimelineInfo(uint Id, string Owner, uint? Parent, string? ParentPrefix, DateTimeOffset? BranchedAt, string Reason);

/// <summary>From a backup's consistent point to the end of the continuous oplog after it.</summary>
public sealed record WindowInfo(uint Timeline, string BackupId, DateTimeOffset From, DateTimeOffset To, string FromTs, string ToTs)
{
    /// <summary>
    /// What ends a sharded cluster's window: the replica set whose archive ends first, or a shard that joined the cluster
    /// after the window's backup (which does not hold it); null for a replica set's.
    /// </summary>
    public string? EndedBy { get; init; }
}

/// <summary>Where the oplog was not archived continuously: no point inside can be restored.</summary>
public sealed record GapInfo(string Component, uint Timeline, DateTimeOffset From, DateTimeOffset To);

/// <summary>Works out how to reach a target, without writing anything.</summary>
/// <param name="Target">As written (the one parser of targets reads it): an RFC 3339 time, <c>seconds:increment</c>, <c>latest</c> or <c>immediate</c>.</param>
public sealed record PlanRecovery(ResourceId StorageId, string Prefix, string Target) : IWithStorageId;

public sealed record RecoveryPlanReply(string Prefix, PlanInfo? Plan, RefusalInfo? Refusal, string? Error) : IArchiverProtocolMember;

/// <param name="Timeline">The timeline the target falls on.</param>
/// <param name="BaseTimeline">The timeline of the base backup (the history a restored database came from, before its own first backup).</param>
/// <param name="Segments">The oplog replayed, one segment per timeline, oldest first.</param>
/// <param name="Target">The target reached, resolved (<c>latest</c> and <c>immediate</c> become a ts).</param>
/// <param name="Document">
/// The whole plan, every chunk named (the storage's <c>RestorePlanDocument</c> as JSON): what <c>archiver plan</c>
/// prints and a restore records and runs. Null only in plans recorded before plans carried it.
/// </param>
/// <param name="ConfigServer">
/// The config server's replica set when the base backup is a sharded cluster's (the other components are its shards);
/// null for a replica set's, and in plans recorded before plans carried it.
/// </param>
public sealed record PlanInfo(
    uint Timeline, string BaseBackupId, string ReplayAfterTs, IReadOnlyList<string> Components, int Chunks, long BytesToRead,
    uint? BaseTimeline = null, string? BasePrefix = null, IReadOnlyList<SegmentInfo>? Segments = null, string? Target = null, string? Document = null,
    IReadOnlyList<VolumeSnapshotRef>? BaseVolumeSnapshots = null, string? ConfigServer = null);

/// <param name="UntilTs">The branch point a segment stops at; null for the last, which the target stops.</param>
public sealed record SegmentInfo(string Prefix, uint Timeline, string Component, int Chunks, string? UntilTs);

/// <summary>Why a target cannot be reached, with the nearest recoverable times.</summary>
public sealed record RefusalInfo(string Reason, string Message, DateTimeOffset? EarliestRecoverable, DateTimeOffset? LatestRecoverable);

/// <summary>
/// Something was published under the prefix (a chunk, a backup), or, with <paramref name="Deleted"/>, deleted (a
/// wipe): read its listing again. After a deletion no answer about the prefix is given until the new listing is in.
/// </summary>
public sealed record RefreshCatalog(ResourceId StorageId, string Prefix, bool Deleted = false) : IWithStorageId;

/// <summary>Applies a retention policy to one repository, or with <paramref name="DryRun"/> only lists what would go.</summary>
public sealed record ApplyRetention(ResourceId StorageId, string Prefix, int KeepLastSucceeded, int KeepLastFailed, TimeSpan? MaxRetentionPeriod, bool DryRun) : IWithStorageId;

/// <param name="VolumeSnapshots">
/// The CSI volume snapshots of the backups it deletes (CSISnapshotter backups keep their data outside the repository),
/// which the database's node deletes before the backups themselves: a dry run says which.
/// </param>
public sealed record RetentionReply(string Prefix, IReadOnlyList<string> Deletes, int Deleted, string? Error, IReadOnlyList<VolumeSnapshotRef>? VolumeSnapshots = null) : IArchiverProtocolMember;

/// <summary>A <c>VolumeSnapshot</c> (snapshot.storage.k8s.io/v1) a backup's data is in.</summary>
public sealed record VolumeSnapshotRef(string Namespace, string Name);

/// <summary>
/// Scrubs the repository under <paramref name="Prefix"/>: reads every chunk and every successful backup's files and
/// verifies them. One scrub at a time per storage; the reply goes to the sender when it is done (hours, for a large one).
/// </summary>
public sealed record VerifyRepository(ResourceId StorageId, string Prefix) : IWithStorageId;

/// <summary>
/// Merges the repository's oplog chunks older than <paramref name="OlderThan"/> into larger objects and removes the
/// chunks merged objects at least <paramref name="RemoveAfter"/> old hold, unless a restore holds a lease on the history.
/// </summary>
public sealed record CompactOplog(ResourceId StorageId, string Prefix, TimeSpan OlderThan, TimeSpan RemoveAfter) : IWithStorageId;

/// <param name="Written">Merged objects published.</param>
/// <param name="Merged">Chunks they hold.</param>
/// <param name="Removed">Chunks removed, held whole by a merged object old enough.</param>
/// <param name="Waiting">Chunks a merged object holds that stay for now (too recent, or a restore's lease).</param>
/// <param name="Leases">Restores holding a lease on the history.</param>
public sealed record CompactionReply(string Prefix, int Written, int Merged, int Removed, int Waiting, int Leases, string? Error) : IArchiverProtocolMember;

/// <summary>What a scrub found; <paramref name="Error"/> when it could not run (the storage unreachable), which verifies nothing.</summary>
public sealed record VerificationReply(
    string Prefix, DateTimeOffset FinishedAt, int ChunksChecked, int BackupFilesChecked, long BytesChecked,
    IReadOnlyList<VerificationProblemInfo> Problems, string? Error) : IArchiverProtocolMember;

/// <summary>
/// One broken object: its key, what kind of damage (<c>Corrupt</c>, <c>BrokenLink</c>, <c>Missing</c>), one line naming
/// the windows it breaks, the backups whose windows those are, and, for a file of a full backup, that backup
/// (<paramref name="Backup"/>: its FullBackup Snapshot is marked as failing verification).
/// </summary>
public sealed record VerificationProblemInfo(string Key, string Kind, string Message, IReadOnlyList<string> BrokenBackups, string? Backup = null);
