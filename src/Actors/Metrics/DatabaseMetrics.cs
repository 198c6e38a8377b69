using Archiver.Messages.Resources;

namespace Archiver.Actors.Metrics;

/// <summary>
/// What one database's entity last wrote to <c>status.archiver</c>, with the facts beside it that the status does not
/// hold (the newest archived entry, the last backup's duration and size, the thresholds, the schedule's interval):
/// the values the node's <c>archiver_database_*</c> gauges read (<see cref="NodeInstruments"/>). Taken from the status
/// as written, so /metrics says what <c>archiver get -o wide</c> and the status page say.
/// </summary>
public sealed record DatabaseMetrics
{
    public DatabaseArchiverStatus Status { get; init; } = new();

    /// <summary>Wall time of the newest archived entry, from the archiver's last report.</summary>
    public DateTimeOffset? LastArchived { get; init; }

    /// <summary>The archiver's <c>lagThreshold</c> (the recovery point objective the <c>Archiving</c> condition holds to).</summary>
    public TimeSpan? LagThreshold { get; init; }

    public TimeSpan? HeadroomThreshold { get; init; }

    /// <summary>Between the schedule's next two cron times: a backup is overdue after about twice this.</summary>
    public TimeSpan? ScheduleInterval { get; init; }

    /// <summary>How long the last successful full backup run took (start of its attempt to its end).</summary>
    public TimeSpan? LastBackupDuration { get; init; }

    /// <summary>Bytes the last successful full backup stored; known only for one this entity saw finish (not for a volume snapshot).</summary>
    public long? LastBackupBytes { get; init; }

    public long BackupsSucceeded { get; init; }

    public long BackupsFailed { get; init; }

    /// <summary>Merged objects oplog compaction published, and chunks it removed, since the entity started on this node.</summary>
    public long CompactionWritten { get; init; }

    public long CompactionRemoved { get; init; }

    /// <summary>When the last compaction run that did not fail ended.</summary>
    public DateTimeOffset? LastCompaction { get; init; }

    /// <summary>A restore's average rates over its run as this entity saw it (kept once it has finished).</summary>
    public double? RestoreBytesPerSecond { get; init; }

    public double? RestoreEntriesPerSecond { get; init; }
}
