using System.Collections.Immutable;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.Databases;

/// <summary>A database's full-backup schedule and runs, changed only by <see cref="Apply"/>.</summary>
public sealed record DatabaseState : IArchiverProtocolMember
{
    public required ResourceId Id { get; init; }
    /// <summary>The incarnation this state is about (<c>metadata.uid</c>); null before it was first seen.</summary>
    public string? DatabaseUid { get; init; }
    public BackupSchedule? Schedule { get; init; }
    /// <summary>Runs under way, by run id (more than one only under <c>concurrencyPolicy: Allow</c>).</summary>
    public ImmutableSortedDictionary<string, BackupRun> Active { get; init; } = ImmutableSortedDictionary<string, BackupRun>.Empty;
    /// <summary>Runs that failed and wait for their retry, by run id.</summary>
    public ImmutableSortedDictionary<string, BackupRun> Retrying { get; init; } = ImmutableSortedDictionary<string, BackupRun>.Empty;
    public BackupRun? LastSucceeded { get; init; }
    public BackupRun? LastFailed { get; init; }
    public DateTimeOffset? LastScheduledFor { get; init; }
    public int Skipped { get; init; }
    public int Runs { get; init; }
    public DateTimeOffset? ConfiguredAtCreation { get; init; }
    /// <summary>The configuration at creation under way (asked for, not yet done), for this archiver and spec hash.</summary>
    public CreationConfiguration? ConfiguringAtCreation { get; init; }
    public RestoreRecord? Restore { get; init; }
    /// <summary>Successful runs whose FullBackup Snapshot is still to be made, by run id (backup id and when it finished).</summary>
    public ImmutableSortedDictionary<string, BackupRun> SnapshotsPending { get; init; } = ImmutableSortedDictionary<string, BackupRun>.Empty;
    /// <summary>A successful backup since retention was last applied: it is to be applied.</summary>
    public bool RetentionPending { get; init; }

    public static DatabaseState Empty(ResourceId id) => new() { Id = id };

    /// <summary>Whether anything is kept for a database: false for an entity that never saw one, or forgot it.</summary>
    public bool HoldsAnything => DatabaseUid is not null || Schedule is not null || Restore is not null || !Active.IsEmpty || !Retrying.IsEmpty
        || !SnapshotsPending.IsEmpty || RetentionPending
        || ConfiguredAtCreation is not null || ConfiguringAtCreation is not null || LastSucceeded is not null || LastFailed is not null;

    public DatabaseState Apply(IDatabaseEvent e) => e switch
    {
        DatabaseIdentified i => this with { DatabaseUid = i.Uid },
        // Run ids stay unique across incarnations: a new database's first run is not named like an old one's.
        DatabaseGone => Empty(Id) with { Runs = Runs },
        BackupScheduleSet s => this with
        {
            Schedule = new BackupSchedule(s.ArchiverId, s.Schedule, s.ConcurrencyPolicy, s.FailurePolicy, s.MaxRetry, s.RetryDelay, s.Paused),
        },
        BackupScheduleCleared => this with { Schedule = null, Retrying = Retrying.Clear() },
        BackupStarted s => this with
        {
            Active = Active.SetItem(s.RunId, new BackupRun(s.RunId, s.ScheduledFor, s.Attempt, s.At, null, null)),
            Retrying = Retrying.Remove(s.RunId),
            LastScheduledFor = s.ScheduledFor ?? LastScheduledFor,
            Runs = s.Attempt == 1 ? Runs + 1 : Runs,
        },
        BackupSucceeded s when Active.TryGetValue(s.RunId, out var run) => this with
        {
            Active = Active.Remove(s.RunId),
            LastSucceeded = run with { FinishedAt = s.At, BackupId = s.BackupId },
            SnapshotsPending = SnapshotsPending.SetItem(s.RunId, run with { FinishedAt = s.At, BackupId = s.BackupId, VolumeSnapshots = s.VolumeSnapshots }),
            RetentionPending = true,
        },
        BackupSnapshotRecorded r => this with { SnapshotsPending = SnapshotsPending.Remove(r.RunId) },
        RetentionApplied => this with { RetentionPending = false },
        BackupFailed f when Active.TryGetValue(f.RunId, out var run) => this with
        {
            Active = Active.Remove(f.RunId),
            Retrying = f.RetryAt is null ? Retrying : Retrying.SetItem(f.RunId, run with { FinishedAt = f.At, RetryAt = f.RetryAt }),
            LastFailed = run with { FinishedAt = f.At, Error = f.Reason },
        },
        BackupSucceeded or BackupFailed => this,
        CreationConfigurationRequested r => this with { ConfiguringAtCreation = new CreationConfiguration(r.ArchiverId, r.SpecHash, r.At) },
        ConfiguredAtCreation c => this with { ConfiguredAtCreation = c.At, ConfiguringAtCreation = null },
        RestoreRequested r => this with { Restore = new RestoreRecord(r.StorageId, r.SourcePrefix, r.Target, RestoreStage.Requested, null, null, r.At) { Settings = r.Settings } },
        RestorePlanned p when Restore is not null => this with { Restore = Restore with { Stage = RestoreStage.Running, BaseBackupId = p.Plan.BaseBackupId, Plan = p.Plan } },
        RestoreSucceeded s when Restore is not null => this with { Restore = Restore with { Stage = RestoreStage.Succeeded, BaseBackupId = s.BaseBackupId, LeftOut = s.Skipped } },
        RestoreFailed f when Restore is not null => this with { Restore = Restore with { Stage = RestoreStage.Failed, Error = f.Reason } },
        RestorePlanned or RestoreSucceeded or RestoreFailed => this,
        BackupSkipped s => this with { Skipped = Skipped + 1, LastScheduledFor = s.ScheduledFor },
        _ => throw new ArgumentException($"unknown database event {e.GetType().Name}", nameof(e)),
    };
}

/// <summary>A configuration at creation asked for: by which archiver, for which of its specs.</summary>
public sealed record CreationConfiguration(ResourceId ArchiverId, string SpecHash, DateTimeOffset RequestedAt);

public sealed record BackupSchedule(ResourceId ArchiverId, string Cron, ConcurrencyPolicy ConcurrencyPolicy, FailurePolicy FailurePolicy, int MaxRetry, TimeSpan RetryDelay, bool Paused);

/// <summary>One full-backup run: its attempts share the run id.</summary>
public sealed record BackupRun(string RunId, DateTimeOffset? ScheduledFor, int Attempt, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? BackupId)
{
    /// <summary>The volume snapshots a CSISnapshotter backup took (none for a logical one).</summary>
    public IReadOnlyList<BackupVolumeSnapshot>? VolumeSnapshots { get; init; }

    public string? Error { get; init; }
    public DateTimeOffset? RetryAt { get; init; }
}

public enum RestoreStage
{
    Requested,
    Running,
    Succeeded,
    Failed,
}

/// <summary>A point-in-time restore of this database: terminal once Succeeded or Failed, never run again.</summary>
public sealed record RestoreRecord(ResourceId StorageId, string SourcePrefix, DateTimeOffset Target, RestoreStage Stage, string? BaseBackupId, string? Error, DateTimeOffset RequestedAt)
{
    public bool IsFinished => Stage is RestoreStage.Succeeded or RestoreStage.Failed;

    /// <summary>What a finished restore deliberately did not apply ("namespace: entries"), as its report gives it.</summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];

    /// <summary>How it restores (database map, connection secret), as read when it was requested; null when requested before these were recorded.</summary>
    public RestoreSettings? Settings { get; init; }

    /// <summary>The plan it runs, once planned: a restore taken up again runs this one, not a new one.</summary>
    public StorageIndexes.PlanInfo? Plan { get; init; }
}
