using Archiver.Actors.Metrics;
using Archiver.Actors.Ports;

namespace Archiver.Actors.Databases;

/// <summary>
/// What the entity exports on its node's /metrics (<see cref="NodeMetrics"/>): the <c>status.archiver</c> it last
/// wrote, and beside it what the status does not hold. Claimed when the entity starts and released when it stops, so
/// only the node hosting the database exports it.
/// </summary>
public sealed partial class DatabaseActor
{
    private readonly object _metricsOwner = new();
    private NodeMetrics _metrics = null!;
    private DateTimeOffset? _lastArchived;
    private long? _lastBackupBytes;
    private long _backupsSucceeded;
    private long _backupsFailed;
    private long _compactionWritten;
    private long _compactionRemoved;
    private DateTimeOffset? _lastCompaction;

    // Where a restore's rates count from: its start (nothing done) when this entity started it, else the first progress
    // this entity saw (one taken up after a move has done some already); and when its newest progress came.
    private (DateTimeOffset At, RestoreProgressReport Progress)? _restoreBaseline;
    private DateTimeOffset? _restoreProgressAt;

    protected override void PreStart()
    {
        _metrics = NodeMetrics.For(Context.System);
        _metrics.Claim(_state.Id, _metricsOwner);
        _metrics.Entity("database", +1);
        base.PreStart();
    }

    private void ReleaseMetrics()
    {
        _metrics.Release(_state.Id, _metricsOwner);
        _metrics.Entity("database", -1);
    }

    /// <summary>A new incarnation (or none) under the name: what the old one archived and stored is not its.</summary>
    private void ForgetIncarnationMetrics()
    {
        _lastArchived = null;
        _lastBackupBytes = null;
        _restoreBaseline = null;
        _restoreProgressAt = null;
    }

    /// <summary>Everything but the status, as it is now: taken when a status write is decided, exported once it is written.</summary>
    private DatabaseMetrics MetricFacts()
    {
        var config = _archiver?.Spec?.WalBackup?.Config;
        var last = _state.LastSucceeded;
        var next = _state.Schedule is { } schedule ? BackupScheduling.Next(schedule, Now) : null;
        var after = next is { } n && _state.Schedule is { } s ? BackupScheduling.Next(s, n) : null;
        var rates = RestoreRates();
        return new DatabaseMetrics
        {
            LastArchived = _lastArchived,
            LagThreshold = _archiver is null ? null : ArchivingHealth.LagLimit(config),
            HeadroomThreshold = _archiver is null ? null : ArchivingHealth.HeadroomLimit(config),
            ScheduleInterval = after - next,
            LastBackupDuration = last?.FinishedAt - last?.StartedAt,
            LastBackupBytes = _lastBackupBytes,
            BackupsSucceeded = _backupsSucceeded,
            BackupsFailed = _backupsFailed,
            CompactionWritten = _compactionWritten,
            CompactionRemoved = _compactionRemoved,
            LastCompaction = _lastCompaction,
            RestoreBytesPerSecond = rates?.Bytes,
            RestoreEntriesPerSecond = rates?.Entries,
        };
    }

    /// <summary>A full backup run ended: counted at once, not at the next status write.</summary>
    private void CountBackup(bool succeeded, long? bytes)
    {
        if (succeeded)
        {
            _backupsSucceeded++;
            _lastBackupBytes = bytes;
        }
        else
        {
            _backupsFailed++;
        }

        var (ok, failed, stored) = (_backupsSucceeded, _backupsFailed, _lastBackupBytes);
        _metrics.Update(_state.Id, _metricsOwner, m => m with { BackupsSucceeded = ok, BackupsFailed = failed, LastBackupBytes = stored });
    }

    /// <summary>A compaction run ended without failing: counted at once.</summary>
    private void CountCompaction(Messages.Protocol.StorageIndexes.CompactionReply reply)
    {
        _compactionWritten += reply.Written;
        _compactionRemoved += reply.Removed;
        _lastCompaction = Now;
        var (written, removed, at) = (_compactionWritten, _compactionRemoved, _lastCompaction);
        _metrics.Update(_state.Id, _metricsOwner, m => m with { CompactionWritten = written, CompactionRemoved = removed, LastCompaction = at });
    }

    private void RestoreStarted(bool fresh)
    {
        _restoreBaseline = fresh ? (Now, new RestoreProgressReport(0, 0, 0, 0)) : null;
        _restoreProgressAt = null;
    }

    private void RestoreProgressSeen(RestoreProgressReport progress)
    {
        _restoreBaseline ??= (Now, progress);
        _restoreProgressAt = Now;
    }

    /// <summary>Average rates from the baseline to the newest progress: kept once the restore has finished, as its run's.</summary>
    private (double Bytes, double Entries)? RestoreRates()
    {
        if (_state.Restore is null || _restoreBaseline is not { } first || _progress is not { } now || _restoreProgressAt is not { } at) return null;
        var seconds = (at - first.At).TotalSeconds;
        return seconds <= 0 ? null : ((now.BytesDone - first.Progress.BytesDone) / seconds, (now.EntriesDone - first.Progress.EntriesDone) / seconds);
    }
}
