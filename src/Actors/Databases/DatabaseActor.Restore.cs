using Akka.Actor;
using Akka.Event;
using Archiver.Actors.Ports;
using Archiver.Actors.Restores;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;
using Archiver.Storage.Catalog;

namespace Archiver.Actors.Databases;

/// <summary>
/// The restore side of a database: <c>spec.init.archiver.recoveryTimeStamp</c> starts one restore, once. Its stages
/// are persisted; after a crash, or the entity's move to another node, the restore runs again under the same id, and
/// its target decides: untouched, it starts; finished, it is done; stopped part way (its marker there), it resumes
/// where it stopped (MongoRestoreRunner, RestoreExecutor): a partial target is never reported good.
/// </summary>
public sealed partial class DatabaseActor
{
    private IActorRef? _restorer;
    private RestoreProgressReport? _progress;
    private string? _waiting;
    private DateTimeOffset _lastProgressWrite;

    /// <summary>The database as last read: the target whose spec a plan's shape is checked against.</summary>
    private MongoDB? _restoreTarget;

    private void MaybeStartRestore(MongoDB db, MongoDBArchiver? archiver)
    {
        _restoreTarget = db;
        var events = RestoreDecider.Request(_state, db, archiver, Now);
        if (events.Count == 0) return;
        PersistAllThen(events, () =>
        {
            if (_state.Restore is { IsFinished: true }) WriteRestoreStatus();
            else StartRestore();
        });
    }

    private void ResumeRestore()
    {
        switch (_state.Restore)
        {
            case { Stage: RestoreStage.Requested }:
                StartRestore();
                break;
            case { Stage: RestoreStage.Running }:
                // Run again: the target tells what happened. Untouched (the node died while waiting for it), the restore
                // starts; finished (its lineage written, its marker gone), it is done; stopped part way (its marker there),
                // it resumes from what the marker says it finished.
                _log.Info("{0}: taking up a restore its node stopped in; the target decides whether it starts, resumes, or is done", _state.Id);
                StartRestore();
                break;
        }
    }

    private void StartRestore()
    {
        if (_state.Restore is not { } restore || _restorer is not null) return;
        RestoreStarted(fresh: restore.Stage == RestoreStage.Requested);
        var job = new RestoreJob(_state.Id, restore.StorageId, restore.SourcePrefix, RecoveryTarget.AtTime(restore.Target).Format(), restore.Settings, restore.Plan);
        _restorer = Context.ActorOf(RestorePlannerActor.Props(job, _storageIndexes, _restores, _settings.PlanTimeout), "restore");
        WriteRestoreStatus();
    }

    private void OnRestorePlanned(RestorePlannerMessages.Planned planned)
    {
        if (RestoreDecider.Planned(_state, planned.Plan, _restoreTarget, Now) is not { } recorded) return;
        Persist(recorded, Applied(() =>
        {
            if (_state.Restore is { IsFinished: true })
            {
                // Refused by its shape before the target was touched: the planner is not told to go.
                if (_restorer is { } restorer) Context.Stop(restorer);
                _restorer = null;
                WriteRestoreStatus();
                return;
            }

            WriteRestoreStatus();
            _restorer?.Tell(RestorePlannerMessages.Go.Instance);
        }));
    }

    private void OnRestoreWaiting(RestorePlannerMessages.Waiting waiting)
    {
        _waiting = $"waiting for the target: {waiting.Reason}; trying again in {Messages.Validation.GoDuration.Format(waiting.Retry)}";
        WriteRestoreStatus();
    }

    private void OnRestoreProgressed(RestorePlannerMessages.Progressed progressed)
    {
        _waiting = null;
        Tell(DatabaseNarration.Progress(_progress, progressed.Progress, Subject));
        _progress = progressed.Progress;
        RestoreProgressSeen(progressed.Progress);
        if (Now - _lastProgressWrite < TimeSpan.FromSeconds(1)) return;
        _lastProgressWrite = Now;
        WriteRestoreStatus();
    }

    private void OnRestoreFinished(RestorePlannerMessages.Finished finished)
    {
        if (_restorer is { } restorer) Context.Stop(restorer);
        _restorer = null;
        _waiting = null;
        if (RestoreDecider.Finished(_state, finished.Outcome, finished.Error, finished.TargetTouched, Now) is not { } outcome) return;
        // Done: all of the base was loaded (progress is reported at most once a second, so its last report may be short of it).
        if (finished.Outcome is { } done) _progress = _progress is null ? null : _progress with { EntriesDone = done.EntriesApplied, BytesDone = _progress.BytesTotal };
        Persist(outcome, Applied(WriteRestoreStatus));
    }

    private void WriteRestoreStatus()
    {
        if (_state.Restore is not { } restore) return;
        var (phase, condition) = RestoreDecider.Status(restore, _waiting, Now);
        var progress = _progress;
        WriteArchiverStatus("restore status", archiver => archiver with
        {
            Phase = phase,
            Conditions = DatabaseConditions.With(archiver.Conditions, condition),
            Restore = new RestoreProgress
            {
                Target = restore.Target,
                BaseSnapshot = restore.BaseBackupId,
                // In the database's namespace under this name: the backup's own, or a copy bound there (MongoRestoreRunner).
                BaseVolumeSnapshot = restore.Plan?.BaseVolumeSnapshots is [var volume, ..] ? volume.Name : null,
                EntriesDone = progress?.EntriesDone,
                EntriesTotal = progress?.EntriesTotal,
                BytesDone = progress?.BytesDone,
                BytesTotal = progress?.BytesTotal,
            },
        });
    }
}
