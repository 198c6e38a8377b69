using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.Databases;

public interface IDatabaseEvent : IWithDatabaseId
{
    DateTimeOffset At { get; }
}

/// <summary>The database behind this name is the one with <paramref name="Uid"/> (<c>metadata.uid</c>): first seen, or seen after the entity forgot the last one.</summary>
public sealed record DatabaseIdentified(ResourceId DatabaseId, string Uid, DateTimeOffset At) : IDatabaseEvent;

/// <summary>
/// The database with <paramref name="Uid"/> was deleted, or replaced by another of the same name: its archiving was
/// stopped and everything kept for it (schedule, runs, restore) is forgotten. A database created again under the name
/// is a new one, with its own uid, its own stream and its own timeline.
/// </summary>
public sealed record DatabaseGone(ResourceId DatabaseId, string? Uid, string Reason, DateTimeOffset At) : IDatabaseEvent;

/// <summary>The full-backup settings in force, from the archiver that configured the database.</summary>
public sealed record BackupScheduleSet(
    ResourceId DatabaseId, ResourceId ArchiverId, string Schedule, ConcurrencyPolicy ConcurrencyPolicy,
    FailurePolicy FailurePolicy, int MaxRetry, TimeSpan RetryDelay, bool Paused, DateTimeOffset At) : IDatabaseEvent;

/// <summary>The database is no longer archived: no more scheduled backups.</summary>
public sealed record BackupScheduleCleared(ResourceId DatabaseId, string Reason, DateTimeOffset At) : IDatabaseEvent;

/// <param name="ScheduledFor">The cron time this run is for; null for a manual run.</param>
public sealed record BackupStarted(ResourceId DatabaseId, string RunId, DateTimeOffset? ScheduledFor, int Attempt, DateTimeOffset At) : IDatabaseEvent;

/// <summary>
/// A run made a backup. What follows it (its FullBackup Snapshot, the retention run) is pending in the state from here
/// until <see cref="BackupSnapshotRecorded"/> and <see cref="RetentionApplied"/> say it is done: a node that dies in
/// between leaves it pending, and the entity drives it again once recovered.
/// </summary>
/// <param name="VolumeSnapshots">For a CSISnapshotter backup, the snapshot of each component (its FullBackup Snapshot lists them).</param>
public sealed record BackupSucceeded(ResourceId DatabaseId, string RunId, string BackupId, DateTimeOffset At, IReadOnlyList<BackupVolumeSnapshot>? VolumeSnapshots = null) : IDatabaseEvent;

/// <summary>
/// One component's volume snapshot of a backup, as KubeStash's <c>volumeSnapshotterStats</c> lists it: the claim, the
/// member (host), the VolumeSnapshot and when it was cut.
/// </summary>
public sealed record BackupVolumeSnapshot(string Component, string Claim, string Member, string Name, DateTimeOffset CreatedAt);

/// <summary>The FullBackup Snapshot of a successful run exists (made now, or found made).</summary>
public sealed record BackupSnapshotRecorded(ResourceId DatabaseId, string RunId, DateTimeOffset At) : IDatabaseEvent;

/// <summary>The retention policy was applied after the backups that asked for it.</summary>
public sealed record RetentionApplied(ResourceId DatabaseId, int Deleted, DateTimeOffset At) : IDatabaseEvent;

/// <param name="RetryAt">When the next attempt runs, or null when the run has failed for good.</param>
public sealed record BackupFailed(ResourceId DatabaseId, string RunId, int Attempt, string Reason, DateTimeOffset? RetryAt, DateTimeOffset At) : IDatabaseEvent;

/// <summary>A scheduled run not started: the previous one was still active (Forbid), or the archiver is paused.</summary>
public sealed record BackupSkipped(ResourceId DatabaseId, DateTimeOffset ScheduledFor, string Reason, DateTimeOffset At) : IDatabaseEvent;

/// <summary>
/// A database created with <c>spec.archiver</c> set is to be configured by its own entity (no ops request), for this
/// archiver spec: the intent, persisted before any step runs, so an entity recovered elsewhere knows it is under way.
/// </summary>
public sealed record CreationConfigurationRequested(ResourceId DatabaseId, ResourceId ArchiverId, string SpecHash, DateTimeOffset At) : IDatabaseEvent;

/// <summary>A database created with <c>spec.archiver</c> set was configured by its own entity (no ops request).</summary>
public sealed record ConfiguredAtCreation(ResourceId DatabaseId, ResourceId ArchiverId, string SpecHash, DateTimeOffset At) : IDatabaseEvent;

/// <summary>
/// The database asks to be restored: where from, to which point and how (<paramref name="Settings"/>, read from its
/// annotations then; null only in events written before settings were recorded). Persisted before anything is read.
/// </summary>
public sealed record RestoreRequested(ResourceId DatabaseId, ResourceId StorageId, string SourcePrefix, DateTimeOffset Target, DateTimeOffset At, RestoreSettings? Settings = null) : IDatabaseEvent;

/// <summary>
/// The catalog found a way: the plan the restore runs, chunk for chunk (<see cref="StorageIndexes.PlanInfo.Document"/>), and runs again
/// if it is taken up after a stop. A plan recorded before plans carried their document has none: it is planned again.
/// </summary>
public sealed record RestorePlanned(ResourceId DatabaseId, StorageIndexes.PlanInfo Plan, DateTimeOffset At) : IDatabaseEvent;

public sealed record RestoreSucceeded(ResourceId DatabaseId, string BaseBackupId, long EntriesApplied, IReadOnlyList<string> Skipped, DateTimeOffset At) : IDatabaseEvent;

/// <summary>Refused by the catalog (nothing written), failed, or interrupted: the target is never reported good.</summary>
public sealed record RestoreFailed(ResourceId DatabaseId, string Reason, bool TargetTouched, DateTimeOffset At) : IDatabaseEvent;
