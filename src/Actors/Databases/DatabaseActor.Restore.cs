using Akka.Actor;
using Akka.Event;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Actors.Restores;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
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

    private void MaybeStartRestore(MongoDB db, MongoDBArchiver? archiver)
    {
        if (_state.Restore is not null || db.Spec?.Init?.Archiver is not { RecoveryTimeStamp: { } target, Repository: { } repository } init) return;
        var storage = new ResourceId(repository.NamespaceOr(_state.Id.Namespace), repository.Name);
        // No prefix given: the history this name has, where the archiver that selects it keeps it (the same-name
        // disaster recovery the design shows), else where the default prefix puts it.
        var prefix = init.Prefix
            ?? (archiver is { Spec: not null } && ArchiverResources.StorageId(archiver) == storage ? ArchiverResources.Directory(archiver, _state.Id) : null)
            ?? PrefixTemplate.Expand(PrefixTemplate.Default, MongoDB.KindName, _state.Id.Namespace, _state.Id.Name);
        // How it restores is read now, once: checked before anything is read from the storage, and recorded, so the
        // restore taken up after a stop runs as it started whatever the annotations say by then.
        var (settings, problem) = RestoreSettings.FromAnnotations(db.Metadata.Annotations);
        Persist(new RestoreRequested(_state.Id, storage, prefix, target, Now, settings ?? RestoreSettings.Default), Applied(() =>
        {
            if (problem is null) StartRestore();
            else Persist(new RestoreFailed(_state.Id, problem, TargetTouched: false, Now), Applied(WriteRestoreStatus));
        }));
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
        var job = new RestoreJob(_state.Id, restore.StorageId, restore.SourcePrefix, RecoveryTarget.AtTime(restore.Target).Format(), restore.Settings, restore.Plan);
        _restorer = Context.ActorOf(RestorePlannerActor.Props(job, _storageIndexes, _restores, _settings.PlanTimeout), "restore");
        WriteRestoreStatus();
    }

    private void OnRestorePlanned(RestorePlannerMessages.Planned planned) =>
        Persist(new RestorePlanned(_state.Id, planned.Plan, Now), Applied(() =>
        {
            WriteRestoreStatus();
            _restorer?.Tell(RestorePlannerMessages.Go.Instance);
        }));

    private void OnRestoreWaiting(RestorePlannerMessages.Waiting waiting)
    {
        _waiting = $"waiting for the target: {waiting.Reason}; trying again in {Messages.Validation.GoDuration.Format(waiting.Retry)}";
        WriteRestoreStatus();
    }

    private void OnRestoreProgressed(RestorePlannerMessages.Progressed progressed)
    {
        _waiting = null;
        _progress = progressed.Progress;
        if (Now - _lastProgressWrite < TimeSpan.FromSeconds(1)) return;
        _lastProgressWrite = Now;
        WriteRestoreStatus();
    }

    private void OnRestoreFinished(RestorePlannerMessages.Finished finished)
    {
        if (_restorer is { } restorer) Context.Stop(restorer);
        _restorer = null;
        _waiting = null;
        IDatabaseEvent outcome = finished.Outcome is { } o
            ? new RestoreSucceeded(_state.Id, o.BaseBackupId, o.EntriesApplied, o.Skipped.ToList(), Now)
            : new RestoreFailed(_state.Id, finished.Error ?? "unknown failure", finished.TargetTouched, Now);
        if (finished.Outcome is { } done) _progress = _progress is null ? null : _progress with { EntriesDone = done.EntriesApplied };
        Persist(outcome, Applied(WriteRestoreStatus));
    }

    // Said where users look: what the restore left out of the users' own namespaces (users and roles turned off, an
    // excluded database) is data it does not have, so those come before MongoDB's own (local, config), which every
    // restore leaves out.
    private static string LeftOut(RestoreRecord restore) =>
        restore.LeftOut.Count == 0 ? "" : $"; left out (not restorable, or MongoDB's own): {string.Join(", ", restore.LeftOut.OrderBy(MongoDBsOwn).Take(10))}{(restore.LeftOut.Count > 10 ? $" and {restore.LeftOut.Count - 10} more" : "")}";

    private static bool MongoDBsOwn(string entry) =>
        entry.StartsWith("config.", StringComparison.Ordinal) || entry.StartsWith("local", StringComparison.Ordinal);

    private void WriteRestoreStatus()
    {
        if (_state.Restore is not { } restore) return;
        var phase = restore.Stage switch
        {
            RestoreStage.Succeeded => DatabaseArchiverPhase.Restored,
            RestoreStage.Failed => DatabaseArchiverPhase.RestoreFailed,
            _ => DatabaseArchiverPhase.Restoring,
        };
        var waiting = _waiting is not null && !restore.IsFinished;
        var condition = DatabaseConditions.Restored(
            restore.Stage == RestoreStage.Succeeded ? ConditionStatus.True : restore.Stage == RestoreStage.Failed ? ConditionStatus.False : ConditionStatus.Unknown,
            waiting ? DatabaseConditions.WaitingForTargetReason : restore.Stage.ToString(),
            restore.Error ?? (waiting ? _waiting! : restore.BaseBackupId is null ? "planning" : $"from backup {restore.BaseBackupId}{LeftOut(restore)}"),
            Now);
        var progress = _progress;
        WriteArchiverStatus("restore status", archiver => archiver with
        {
            Phase = phase,
            Conditions = DatabaseConditions.With(archiver.Conditions, condition),
            Restore = new RestoreProgress
            {
                Target = restore.Target,
                BaseSnapshot = restore.BaseBackupId,
                EntriesDone = progress?.EntriesDone,
                EntriesTotal = progress?.EntriesTotal,
                BytesDone = progress?.BytesDone,
                BytesTotal = progress?.BytesTotal,
            },
        });
    }
}
