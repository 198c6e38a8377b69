using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Persistence;
using Archiver.Actors.Ports;
using Archiver.Actors.Reporting;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// One database's full backups: on its archiver's cron, with <c>concurrencyPolicy</c> (Forbid skips and records,
/// Allow overlaps, Replace cancels the active run) and <c>failurePolicy: Retry</c> (<c>maxRetry</c> retries,
/// <c>delay</c> apart). Waiting is a timer, never a loop. A run the node died in is a failed attempt, retried by
/// the same policy; missed cron times are not caught up (as a CronJob without a starting deadline).
/// </summary>
public sealed partial class DatabaseActor : ReceivePersistentActor, IWithTimers
{
    private readonly IResourceStore _store;
    private readonly IFullBackupRunner _runner;
    private readonly IOpsRequestSteps _steps;
    private readonly IActorRef _storageIndexes;
    private readonly IRestoreRunner _restores;
    private readonly IArchivingWorkloads _workloads;
    private readonly Watching.ResourceCache? _cache;
    private readonly IEventRecorder? _events;
    private Task _statusWrites = Task.CompletedTask;
    private readonly DatabaseSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, CancellationTokenSource> _running = [];
    private readonly HashSet<BackupEffect> _pending = [];

    private readonly SnapshotCadence _snapshots;
    private DatabaseState _state;
    private bool _configuring;

    public DatabaseActor(ResourceId id, DatabasePorts ports, DatabaseSettings settings, TimeProvider clock)
    {
        _store = ports.Store;
        _runner = ports.Backups;
        _steps = ports.Steps;
        _storageIndexes = ports.StorageIndexes;
        _restores = ports.Restores;
        _workloads = ports.Workloads;
        _cache = ports.Cache;
        _events = ports.Events;
        _settings = settings;
        _clock = clock;
        _state = DatabaseState.Empty(id);
        _snapshots = new SnapshotCadence(settings.SnapshotEvery);
        PersistenceId = $"database-{id}";

        Recover<SnapshotOffer>(offer =>
        {
            _state = (DatabaseState)offer.Snapshot;
            _snapshots.Saved(offer.Metadata.SequenceNr);
        });
        Recover<IDatabaseEvent>(e => _state = _state.Apply(e));
        Command<ReconcileDatabase>(_ => LoadAsync().PipeTo(Self, success: w => w, failure: e => new LoadFailed(e)));
        Command<Loaded>(OnLoaded);
        Command<LoadFailed>(f => _log.Warning(f.Error, "reading {0} failed", _state.Id));
        Command<RunScheduledBackup>(OnTick);
        Command<TriggerBackup>(_ => OnTrigger());
        Command<RetryRun>(r => Decide(BackupDecider.Retry(_state, r.RunId, Now)));
        Command<RunOutcome>(OnOutcome);
        Command<PendingDone>(OnPendingDone);
        Command<DrivePending>(_ => Carry(BackupDecider.Pending(_state)));
        Command<CreationConfigured>(OnConfiguredAtCreation);
        Command<ResumeAfterRecovery>(_ => ResumeRestore());
        Command<Observe>(_ => OnObserve());
        Command<Observed>(OnObserved);
        Command<Restores.RestorePlannerMessages.Planned>(OnRestorePlanned);
        Command<Restores.RestorePlannerMessages.Progressed>(OnRestoreProgressed);
        Command<Restores.RestorePlannerMessages.Waiting>(OnRestoreWaiting);
        Command<Restores.RestorePlannerMessages.Finished>(OnRestoreFinished);
        Command<VerifyNow>(_ => OnVerifyNow());
        Command<CompactNow>(_ => OnCompactNow());
        Command<Messages.Protocol.StorageIndexes.CompactionReply>(OnCompacted);
        Command<Messages.Protocol.StorageIndexes.VerificationReply>(OnVerified);
        Command<GetDatabaseState>(_ => Sender.Tell(_state));
        Command<DatabaseHandOff>(_ => OnHandOff());
        Command<SaveSnapshotSuccess>(saved =>
        {
            _snapshots.Saved(saved.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "snapshot of {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ResourceId id, DatabasePorts ports, DatabaseSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new DatabaseActor(id, ports, settings, clock));

    protected override void OnReplaySuccess()
    {
        var (interrupted, decision) = BackupDecider.Recovered(_state, Now);
        // Its node stopped mid-run: the outcome is unknown, so the attempt failed.
        foreach (var (runId, attempt) in interrupted) Self.Tell(new RunOutcome(runId, attempt, null, new InvalidOperationException("interrupted: the node running it stopped")));
        Carry(decision.Effects);
        ArmCron();
        // Persisting is not allowed during replay: resume the restore as the first command after it.
        Self.Tell(ResumeAfterRecovery.Instance);
        Self.Tell(new ReconcileDatabase(_state.Id, "started"));
    }

    protected override void PostStop()
    {
        ReleaseMetrics();
        foreach (var run in _running.Values) run.Cancel();
        base.PostStop();
    }

    private async Task<Loaded> LoadAsync()
    {
        var db = await _store.GetAsync<MongoDB>(_state.Id);
        var reference = db?.Spec?.Archiver?.Ref;
        var archiver = reference is null ? null : await _store.GetAsync<MongoDBArchiver>(new ResourceId(reference.NamespaceOr(_state.Id.Namespace), reference.Name));
        return new Loaded(db, archiver);
    }

    private void OnLoaded(Loaded loaded)
    {
        if (IncarnationChanges(loaded.Database) is { Count: > 0 } changes)
        {
            // Decide the rest on the state as it is after them.
            PersistAllThen(changes, () => OnLoaded(loaded));
            return;
        }

        // One being deleted is as good as gone: nothing is restored, configured or scheduled for it any more.
        if (loaded.Database?.Metadata.DeletionTimestamp is not null) loaded = loaded with { Database = null };
        var before = _archiver;
        _archiver = Essentials(loaded.Archiver);
        // Another storage or folder holds other windows: show them now, not at the next look.
        if (before is not null && _archiver is not null && !SameRepository(before, _archiver)) Self.Tell(Observe.Instance);
        // What successful runs left pending (a node died between the backup and its Snapshot or retention) needs the archiver.
        Carry(BackupDecider.Pending(_state));
        if (loaded.Database is { } restored) MaybeStartRestore(restored, loaded.Archiver);
        // A database created with spec.archiver is configured by its own entity: the intent first, then the steps. One
        // created to be restored is archived once restored (by its archiver's ops request), never during it.
        if (CreationConfigurationDecider.Request(_state, loaded.Database, loaded.Archiver, Now) is { } intent)
        {
            Persist(intent, Applied(() => ConfigureAtCreation(loaded.Database)));
        }
        else
        {
            ConfigureAtCreation(loaded.Database);
        }

        var wanted = BackupScheduling.Wanted(_state.Id, loaded.Database, loaded.Archiver, Now);
        if (BackupScheduling.SameSchedule(_state.Schedule, wanted)) return;
        IDatabaseEvent change = wanted is null
            ? new BackupScheduleCleared(_state.Id, loaded.Database is null ? "the database was deleted" : "the database is not archived", Now)
            : wanted;
        Persist(change, e =>
        {
            Apply(e);
            ArmCron();
        });
    }

    /// <summary>
    /// A deleted database (or one being deleted) stops everything that archives it, at once, and is forgotten; a
    /// database created again under its name is a new one (its own uid, stream and timeline), never the old one's
    /// continuation. Returns the events that say so, after stopping what ran for the old one.
    /// </summary>
    private List<IDatabaseEvent> IncarnationChanges(MongoDB? db)
    {
        var uid = db?.Metadata.Uid;
        var gone = db is null || db.Metadata.DeletionTimestamp is not null;
        var known = _state.DatabaseUid;
        List<IDatabaseEvent> changes = [];
        if ((gone && _state.HoldsAnything) || (!gone && known is not null && uid is not null && uid != known))
        {
            var reason = gone
                ? db is null ? "the database was deleted" : "the database is being deleted"
                : $"the database was deleted and created again under its name (uid {known} → {uid})";
            StopIncarnation(known, reason);
            changes.Add(new DatabaseGone(_state.Id, known, reason, Now));
        }

        if (!gone && uid is not null && (uid != known || changes.Count > 0)) changes.Add(new DatabaseIdentified(_state.Id, uid, Now));
        return changes;
    }

    /// <summary>Stops the old incarnation's archiving, backups and restore; whatever they finish later is ignored.</summary>
    private void StopIncarnation(string? uid, string reason)
    {
        _log.Info("{0}: {1}; stopping its archiving, backups and restore", _state.Id, reason);
        foreach (var run in _running.Keys.ToList()) Cancel(run);
        if (_restorer is { } restorer) Context.Stop(restorer);
        _restorer = null;
        _progress = null;
        _waiting = null;
        _configuring = false;
        ForgetIncarnationMetrics();
        var id = _state.Id;
        var log = _log;
        _workloads.StopArchivingAsync(id, uid).ContinueWith(
            t => log.Warning(t.Exception, "stopping the archiving of {0} failed", id),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private static bool SameRepository(MongoDBArchiver a, MongoDBArchiver b) =>
        ArchiverResources.StorageId(a) == ArchiverResources.StorageId(b) && a.Spec?.BackupStorage?.Prefix == b.Spec?.BackupStorage?.Prefix
        && a.Spec?.BackupStorage?.SubDir == b.Spec?.BackupStorage?.SubDir;

    /// <summary>
    /// What an idle entity keeps of its archiver: the spec and who it is. The status is left out: its
    /// <c>databaseRefs</c> name every database the archiver selects, and ten thousand entities each holding their
    /// archiver's list was most of their memory.
    /// </summary>
    private static MongoDBArchiver? Essentials(MongoDBArchiver? archiver) =>
        archiver is null ? null : archiver with { Status = null, Metadata = Identity(archiver.Metadata) };

    /// <summary>A resource's name, namespace and uid alone: enough to address it or write its status.</summary>
    private static k8s.Models.V1ObjectMeta Identity(k8s.Models.V1ObjectMeta metadata) =>
        new() { Name = metadata.Name, NamespaceProperty = metadata.NamespaceProperty, Uid = metadata.Uid };

    /// <summary>The ops request's configure steps but the restart, from the persisted intent: the pods start with archiving already in them.</summary>
    private void ConfigureAtCreation(MongoDB? db)
    {
        // Not while a run is in flight, nor before the time the last failure set: other looks at the database (a resync,
        // a status write) come often.
        if (!CreationConfigurationDecider.ShouldRun(_state, db) || _configuring || Now < _configureNotBefore) return;
        _configuring = true;
        var intent = _state.ConfiguringAtCreation!;
        var request = CreationConfigurationDecider.Steps(_state.Id, intent);
        var steps = _steps;
        var uid = _state.DatabaseUid;
        Task.Run(async () =>
        {
            foreach (var step in OpsRequestPlans.Configure.Where(s => s != OpsRequestStep.RestartPods)) await steps.RunAsync(step, request, CancellationToken.None);
        }).PipeTo(Self, success: () => new CreationConfigured(intent.ArchiverId, intent.SpecHash, uid, null), failure: e => new CreationConfigured(intent.ArchiverId, intent.SpecHash, uid, e));
    }

    private void OnConfiguredAtCreation(CreationConfigured done)
    {
        // Configured for a database that has since been deleted: not this one's.
        if (done.DatabaseUid != _state.DatabaseUid) return;
        _configuring = false;
        if (done.Error is not null)
        {
            // Steps are idempotent: the next look tries again from the top. What is in the way is said where users look,
            // as an ops request says it: waited for (KubeDB provisioning, a permission not granted yet), or failed with
            // the reason (bad input, e.g. a storage the node cannot reach), looked at again less often until it is fixed.
            var kind = StepFailures.Classify(done.Error);
            var again = kind == StepFailureKind.Fail ? ConfigureAgainAfterFailure : ConfigureAgain;
            _log.Warning(done.Error, "configuring {0} at creation: {1}; trying again in {2}", _state.Id, kind, again);
            WriteConfiguredCondition(ConditionStatus.False, kind switch
            {
                StepFailureKind.Fail => DatabaseConditions.ConfigurationFailedReason,
                StepFailureKind.Wait => DatabaseConditions.WaitingReason,
                _ => DatabaseConditions.RetryingReason,
            }, $"{FirstLine(done.Error.Message)}; trying again in {Messages.Validation.GoDuration.Format(again)}");
            _configureNotBefore = Now + again - TimeSpan.FromMilliseconds(100);
            Timers.StartSingleTimer("configure-again", new ReconcileDatabase(_state.Id, "retry configuration"), again);
            return;
        }

        WriteConfiguredCondition(ConditionStatus.True, DatabaseConditions.ConfiguredAtCreationReason, $"configured at creation with archiver {done.ArchiverId}");
        Persist(new ConfiguredAtCreation(_state.Id, done.ArchiverId, done.SpecHash, Now), Applied(() => Self.Tell(new ReconcileDatabase(_state.Id, "configured"))));
    }

    /// <summary>
    /// Status writes go out one after another (in the order decided), off the actor's thread; one that fails is logged,
    /// and the next look at the database writes again.
    /// </summary>
    private void QueueStatusWrite(string what, Func<Task> write)
    {
        var id = _state.Id;
        var log = _log;
        _statusWrites = _statusWrites.ContinueWith(async _ =>
        {
            try
            {
                await write();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Warning(e, "could not write the {0} of {1}", what, id);
            }
        }, TaskScheduler.Default).Unwrap();
    }

    private static readonly TimeSpan ConfigureAgain = TimeSpan.FromSeconds(5);

    // A Snapshot or retention that failed (the store or the storage index unreachable) is tried again this often.
    private static readonly TimeSpan PendingRetry = TimeSpan.FromSeconds(30);

    private DateTimeOffset _configureNotBefore;

    // A failure is bad input (a storage no node mounts, a bad runtime setting): a user must fix it first.
    private static readonly TimeSpan ConfigureAgainAfterFailure = TimeSpan.FromSeconds(30);

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>The <c>Configured</c> condition of a database its own entity configures at creation (no ops request says it).</summary>
    private void WriteConfiguredCondition(ConditionStatus status, string reason, string message)
    {
        var condition = DatabaseConditions.Configured(status, reason, message, Now);
        WriteArchiverStatus("configuration status", archiver => archiver with
        {
            Phase = archiver.Phase ?? DatabaseArchiverPhase.Configuring,
            Conditions = DatabaseConditions.With(archiver.Conditions, condition),
        });
    }

    /// <summary>
    /// The one way the entity writes its database's <c>status.archiver</c>: in the order decided, off the actor's thread
    /// (QueueStatusWrite), onto the incarnation it is about (a database created again under the name has a status of its
    /// own), each condition keeping its transition time while its status holds, and not at all when nothing changes.
    /// <paramref name="read"/> gives the database to decide on (a cached copy; a stale one conflicts, and the change is
    /// decided again on the database as stored); null there skips the write.
    /// </summary>
    /// <param name="written">Told what was written over what, once the write is done (not for a change that wrote nothing).</param>
    private void WriteArchiverStatus(
        string what, Func<DatabaseArchiverStatus, DatabaseArchiverStatus> change, Func<Task<MongoDB?>>? read = null, Action<DatabaseArchiverStatus, DatabaseArchiverStatus>? written = null)
    {
        var store = _store;
        var id = _state.Id;
        var uid = _state.DatabaseUid;
        // What /metrics exports is the status as written (or found already so), so it says what the status says.
        var (metrics, owner, facts) = (_metrics, _metricsOwner, MetricFacts());
        QueueStatusWrite(what, async () =>
        {
            MongoDB? cached = null;
            if (read is not null && (cached = await read()) is null) return;
            (DatabaseArchiverStatus Before, DatabaseArchiverStatus Next)? last = null;
            DatabaseArchiverStatus? current = null;
            await store.UpdateStatusAsync<MongoDB>(id, db =>
            {
                (last, current) = (null, null);
                if (uid is not null && db.Metadata.Uid != uid) return null;
                var before = db.Status?.Archiver ?? new DatabaseArchiverStatus();
                var next = change(before);
                next = next with { Conditions = next.Conditions is null ? null : StatusWrites.Carry(before.Conditions, next.Conditions) };
                current = next;
                if (StatusWrites.Same(before, next)) return null;
                last = (before, next);
                return db with { Status = (db.Status ?? new MongoDBStatus()) with { Archiver = next } };
            }, read: cached);
            if (current is not null) metrics.Set(id, owner, facts with { Status = current });
            if (last is { } done) written?.Invoke(done.Before, done.Next);
        });
    }

    private void OnTick(RunScheduledBackup tick) => Decide(BackupDecider.Tick(_state, tick.ScheduledFor, Now), ArmCron);

    private void OnTrigger()
    {
        var decision = BackupDecider.Trigger(_state, Now);
        Sender.Tell(decision.Events is [BackupStarted started] ? started.RunId : "refused: a backup is running");
        Decide(decision);
    }

    private void OnOutcome(RunOutcome outcome)
    {
        if (_state.Active.TryGetValue(outcome.RunId, out var run) && run.Attempt == outcome.Attempt && _running.Remove(outcome.RunId, out var cancel)) cancel.Dispose();
        if (_runTasks.TryGetValue(outcome.RunId, out var task) && task.IsCompleted) _runTasks.Remove(outcome.RunId);
        string? reason = null;
        if (outcome.Error is { } failure)
        {
            var error = failure is AggregateException { InnerException: { } inner } ? inner : failure;
            reason = error is OperationCanceledException ? "cancelled (timed out, or replaced by a newer run)" : error.Message;
        }

        var decision = BackupDecider.Outcome(_state, outcome.RunId, outcome.Attempt, outcome.Result?.BackupId, reason, Now, outcome.Result?.VolumeSnapshots);
        if (decision.Events is [BackupSucceeded or BackupFailed]) CountBackup(decision.Events[0] is BackupSucceeded, outcome.Result?.StoredBytes);
        if (decision.Events is [BackupFailed failed])
        {
            _log.Warning("full backup {0} of {1}, attempt {2}, failed: {3}{4}", failed.RunId, _state.Id, failed.Attempt, failed.Reason, failed.RetryAt is { } at ? $"; retrying at {at:O}" : "");
        }

        Decide(decision);
    }

    /// <summary>Persists a decision's events, then carries out its effects (and <paramref name="then"/>).</summary>
    private void Decide(Decision decision, Action? then = null)
    {
        PersistAllThen(decision.Events, () =>
        {
            Carry(decision.Effects);
            then?.Invoke();
        });
    }

    /// <summary>Persists and applies <paramref name="events"/>, then runs <paramref name="then"/> once, after the last (at once when there are none).</summary>
    private void PersistAllThen(IReadOnlyList<IDatabaseEvent> events, Action then)
    {
        if (events.Count == 0)
        {
            then();
            return;
        }

        var left = events.Count;
        PersistAll(events, e =>
        {
            Apply(e);
            if (--left == 0) then();
        });
    }

    private void Carry(IEnumerable<BackupEffect> effects)
    {
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case StartRun start:
                    Start(start.RunId, start.Attempt);
                    break;
                case CancelRun cancel:
                    Cancel(cancel.RunId);
                    break;
                case ArmRetry retry:
                    Timers.StartSingleTimer($"retry-{retry.RunId}", new RetryRun(retry.RunId), Max(retry.At - Now, TimeSpan.Zero));
                    break;
                // Each pending effect once at a time; it stays pending in the state until its event says it is done.
                case RecordBackupSnapshot record when _archiver is not null && _pending.Add(effect):
                    RecordSnapshot(record);
                    break;
                case ApplyRetentionPolicy when _archiver is { Spec: not null } && _pending.Add(effect):
                    RunRetention();
                    break;
            }
        }
    }

    private void Start(string runId, int attempt)
    {
        var cancel = new CancellationTokenSource(_settings.BackupTimeout);
        _running[runId] = cancel;
        var runner = _runner;
        var db = _state.Id;
        var task = Task.Run(() => runner.RunAsync(db, runId, attempt, cancel.Token), cancel.Token);
        _runTasks[runId] = task;
        task.PipeTo(
            Self,
            success: result => new RunOutcome(runId, attempt, result, null),
            failure: error => new RunOutcome(runId, attempt, null, error));
    }

    private void OnPendingDone(PendingDone done)
    {
        _pending.Remove(done.Effect);
        if (done.Error is not null)
        {
            // Still pending in the state: tried again at the next look at the database, or in a while.
            _log.Warning(done.Error, "{0} of {1} failed; trying again", done.Effect, _state.Id);
            Timers.StartSingleTimer("pending", DrivePending.Instance, PendingRetry);
            return;
        }

        IDatabaseEvent? e = done.Effect switch
        {
            RecordBackupSnapshot r when _state.SnapshotsPending.ContainsKey(r.RunId) => new BackupSnapshotRecorded(_state.Id, r.RunId, Now),
            ApplyRetentionPolicy when _state.RetentionPending => new RetentionApplied(_state.Id, done.Deleted, Now),
            _ => null,
        };
        if (e is not null) Persist(e, Apply);
    }

    private void Cancel(string runId)
    {
        if (_running.Remove(runId, out var cancel))
        {
            cancel.Cancel();
            cancel.Dispose();
        }
    }

    private void ArmCron()
    {
        ArmObservation();
        ArmVerification();
        ArmCompaction();
        Timers.Cancel("cron");
        if (_state.Schedule is not { } schedule || BackupScheduling.Next(schedule, Now) is not { } next) return;
        Timers.StartSingleTimer("cron", new RunScheduledBackup(_state.Id, next), Max(next - Now, TimeSpan.Zero));
    }

    /// <summary>
    /// After each successful backup, as KubeStash does after each session: the policy's window over backups and oplog.
    /// The FullBackup Snapshots of the backups it deleted are deleted too: their data is gone (their finalizer finds it
    /// so and lets them go, SnapshotData.FinishDeletionAsync), and one left would show a backup nobody can restore.
    /// </summary>
    private void RunRetention()
    {
        var archiver = _archiver!;
        var reference = archiver.Spec!.RetentionPolicy;
        var store = _store;
        var indexes = _storageIndexes;
        var workloads = _workloads;
        var id = _state.Id;
        var now = Now;
        var log = _log;
        var self = Self;
        var timeout = _settings.PlanTimeout;
        Task.Run(async () =>
        {
            var policy = reference is null ? null : await store.GetAsync<RetentionPolicy>(new ResourceId(reference.NamespaceOr(ResourceId.Of(archiver).Namespace), reference.Name));
            var request = RetentionRequests.For(archiver, policy, id, now);
            // The volume snapshots of the backups that go are deleted first: once a backup's manifest is gone nothing
            // names its snapshot any more, and a snapshot left behind would cost its storage for good. Asked by a dry run;
            // a crash between the two steps repeats both (a snapshot already deleted is not an error).
            var preview = await indexes.Ask<Messages.Protocol.StorageIndexes.RetentionReply>(request with { DryRun = true }, timeout);
            if (preview.Error is not null) throw new InvalidOperationException(preview.Error);
            if (preview.VolumeSnapshots is { Count: > 0 } snapshots)
            {
                await workloads.DeleteVolumeSnapshotsAsync(snapshots);
                log.Info("retention deletes {0} volume snapshots of {1}: {2}", snapshots.Count, id, string.Join(", ", snapshots.Select(s => $"{s.Namespace}/{s.Name}")));
            }

            var reply = await indexes.Ask<Messages.Protocol.StorageIndexes.RetentionReply>(request, timeout);
            if (reply.Error is not null) throw new InvalidOperationException(reply.Error);
            if (reply.Deleted == 0) return 0;
            // What retention deleted is no longer recoverable: the status says so now, not at the next look.
            self.Tell(Observe.Instance);
            foreach (var snapshot in RetentionRequests.SnapshotsDeleted(request, reply, id, await store.ListAsync<Snapshot>(id.Namespace)))
            {
                await store.DeleteAsync<Snapshot>(ResourceId.Of(snapshot));
                log.Info("retention deleted backup {0} of {1}: deleted its Snapshot {2}", snapshot.Spec!.SnapshotId, id, snapshot.Metadata.Name);
            }

            return reply.Deleted;
        }).PipeTo(self, success: deleted => new PendingDone(ApplyRetentionPolicy.Instance, deleted, null), failure: e => new PendingDone(ApplyRetentionPolicy.Instance, 0, e));
    }

    /// <summary>
    /// A FullBackup Snapshot per successful run, as KubeStash records each backup session. Not owned by the database
    /// (ArchiverResources.IncrementalSnapshot says why): it goes when retention deletes its backup.
    /// </summary>
    private void RecordSnapshot(RecordBackupSnapshot record)
    {
        var run = _state.SnapshotsPending[record.RunId];
        var (runId, backupId, made) = (run.RunId, run.BackupId!, run.FinishedAt ?? Now);
        var snapshot = new Snapshot
        {
            ApiVersion = Snapshot.ApiVersionName,
            Kind = Snapshot.KindName,
            Metadata = new k8s.Models.V1ObjectMeta { Name = $"{_state.Id.Name}-full-{runId}", NamespaceProperty = _state.Id.Namespace },
            Spec = new SnapshotSpec
            {
                Version = "v1",
                SnapshotId = backupId,
                Type = SnapshotType.FullBackup,
                AppRef = new TypedObjectRef { ApiGroup = ApiGroups.KubeDb, Kind = MongoDB.KindName, Name = _state.Id.Name, Namespace = _state.Id.Namespace },
                Repository = $"{_state.Id.Name}-full",
                SnapshotTime = new SnapshotTime { Created = made, LastUpdated = made },
            },
            Status = new SnapshotStatus { Phase = SnapshotPhase.Succeeded, TotalComponents = run.VolumeSnapshots is { Count: > 0 } taken ? taken.Select(v => v.Component).Distinct().Count() : null },
        };
        if (run.VolumeSnapshots is { Count: > 0 } snapshots)
        {
            // As KubeStash's volume-snapshot addon lists what it took: a component per replica set, with each claim's snapshot.
            snapshot = snapshot with
            {
                Spec = snapshot.Spec! with
                {
                    Components = [.. snapshots.GroupBy(v => v.Component).Select(c => new SnapshotComponent
                    {
                        Name = c.Key,
                        Phase = SnapshotPhase.Succeeded,
                        Driver = ComponentDriver.CSISnapshotter,
                        VolumeSnapshotterStats = [.. c.Select(v => new VolumeSnapshotterStats { PvcName = v.Claim, Hostname = v.Member, VolumeSnapshotName = v.Name, VolumeSnapshotTime = v.CreatedAt })],
                    })],
                },
            };
        }

        if (_archiver is { Spec: not null } archiver)
        {
            snapshot = Watching.SnapshotData.Mark(snapshot, ArchiverResources.StorageId(archiver), $"{ArchiverResources.Directory(archiver, _state.Id)}/backups/{backupId}/");
            snapshot = snapshot with { Spec = snapshot.Spec! with { DeletionPolicy = archiver.Spec.DeletionPolicy == ArchiverDeletionPolicy.WipeOut ? SnapshotDeletionPolicy.WipeOut : SnapshotDeletionPolicy.DoNotDelete } };
        }

        var store = _store;
        RecordAsync().PipeTo(Self, success: () => new PendingDone(record, 0, null), failure: e => new PendingDone(record, 0, e));

        async Task RecordAsync()
        {
            Snapshot? stored;
            try
            {
                stored = await store.CreateAsync(snapshot);
            }
            catch (ResourceConflictException)
            {
                // Made before: by this effect before its node died, or by an earlier look.
                stored = null;
            }

            // A create keeps no status where the kind has a status subresource, as KubeStash's Snapshot has: the API
            // server drops it (kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions,
            // "Status subresource"). So the phase is written apart, also when an earlier attempt made the object.
            await store.UpdateStatusAsync<Snapshot>(ResourceId.Of(snapshot),
                s => s.Status?.Phase == SnapshotPhase.Succeeded ? null : s with
                {
                    Status = (s.Status ?? new SnapshotStatus()) with { Phase = snapshot.Status!.Phase, TotalComponents = snapshot.Status.TotalComponents },
                },
                read: stored);
        }
    }

    private Action<IDatabaseEvent> Applied(Action then) => e =>
    {
        Apply(e);
        then();
    };

    /// <summary>
    /// Every persisted event goes through here: the state, the snapshot policy, then its Event (never during replay: what
    /// was told before a restart is not told again).
    /// </summary>
    private void Apply(IDatabaseEvent e)
    {
        var before = _state;
        _state = _state.Apply(e);
        if (_snapshots.Due(LastSequenceNr)) SaveSnapshot(_state);
        // A success is persisted from its run's outcome, which CountBackup has just taken its stored size from.
        Tell(DatabaseNarration.Of(e, before, Subject, e is BackupSucceeded ? _lastBackupBytes : null));
    }

    private EventSubject Subject => EventSubject.Database(_state.Id, _state.DatabaseUid);

    private void Tell(EventDraft? draft)
    {
        if (draft is not null) _events?.Record(draft);
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record Loaded(MongoDB? Database, MongoDBArchiver? Archiver) : INoSerializationVerificationNeeded;

    private sealed record LoadFailed(Exception Error) : INoSerializationVerificationNeeded;

    private sealed record RetryRun(string RunId) : INoSerializationVerificationNeeded;

    /// <summary>A pending effect ended: done, or failed with <paramref name="Error"/> (it stays pending).</summary>
    private sealed record PendingDone(BackupEffect Effect, int Deleted, Exception? Error) : INoSerializationVerificationNeeded;

    private sealed record DrivePending : INoSerializationVerificationNeeded
    {
        public static readonly DrivePending Instance = new();
    }

    private sealed record ResumeAfterRecovery : INoSerializationVerificationNeeded
    {
        public static readonly ResumeAfterRecovery Instance = new();
    }

    private sealed record CreationConfigured(ResourceId ArchiverId, string SpecHash, string? DatabaseUid, Exception? Error) : INoSerializationVerificationNeeded;

    private sealed record RunOutcome(string RunId, int Attempt, FullBackupResult? Result, Exception? Error) : INoSerializationVerificationNeeded;
}
