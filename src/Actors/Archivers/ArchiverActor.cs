using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Archiver.Actors.Persistence;
using Archiver.Actors.Ports;
using Archiver.Actors.Watching;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>
/// One MongoDBArchiver. Each reconcile reads the world from the node's resource cache, lets <see cref="ArchiverPlanner"/> decide, persists the
/// decisions, then acts on them (ops requests, status, finalizer, wipe). Reconciles never overlap: one asked for
/// during another runs right after it.
/// </summary>
public sealed class ArchiverActor : ReceivePersistentActor, IWithTimers
{
    private readonly ArchiverEffects _effects;
    private readonly ArchiverSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private ArchiverState _state;
    private bool _busy;
    private bool _dirty;
    private bool _urgent;
    private DateTimeOffset _lastReconcile = DateTimeOffset.MinValue;
    private int _failures;

    // The newest change of each kind that asked for a look since the last one began: the next look waits for the
    // node's cache to hold them.
    private readonly Dictionary<string, long> _after = new(StringComparer.Ordinal);
    private readonly SnapshotCadence _snapshots;
    private readonly IEventRecorder? _events;
    private string? _uid;

    public ArchiverActor(
        ResourceId id, IResourceStore store, ResourceCache cache, IStorageJanitor janitor, IFullBackupRunner backups, ArchiverSettings settings, TimeProvider clock, IEventRecorder? events = null)
    {
        _events = events;
        _effects = new ArchiverEffects(store, cache, janitor, backups);
        _settings = settings;
        _clock = clock;
        _state = ArchiverState.Empty(id);
        PersistenceId = $"archiver-{id}";
        _snapshots = new SnapshotCadence(settings.SnapshotEvery);

        Recover<SnapshotOffer>(offer =>
        {
            _state = (ArchiverState)offer.Snapshot;
            _snapshots.Saved(offer.Metadata.SequenceNr);
        });
        Recover<IArchiverEvent>(e => _state = _state.Apply(e));
        Command<ReconcileArchiver>(r =>
        {
            if (r.After is { } mark && (!_after.TryGetValue(mark.Kind, out var held) || held < mark.ResourceVersion)) _after[mark.Kind] = mark.ResourceVersion;
            // Its own spec changed (or its deletion began): a user is waiting on that, so it is not coalesced.
            if (r.After?.Kind == MongoDBArchiver.KindName) _urgent = true;
            Reconcile();
        });
        Command<GetArchiverState>(_ => Sender.Tell(_state));
        Command<WorldLoaded>(OnWorld);
        Command<EffectsDone>(OnDone);
        Command<ReconcileFailed>(OnFailed);
        Command<SaveSnapshotSuccess>(s =>
        {
            _snapshots.Saved(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "snapshot of {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    /// <summary>Every persisted event goes through here: the state, then the snapshot policy.</summary>
    private void Apply(IArchiverEvent e)
    {
        var before = _state;
        _state = _state.Apply(e);
        if (_snapshots.Due(LastSequenceNr)) SaveSnapshot(_state);
        if (_events is not null && ArchiverNarration.Of(e, before, EventSubject.Archiver(_state.Id, _uid)) is { } draft) _events.Record(draft);
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="backups">The node's full-backup runner, asked which drivers it refuses (<see cref="IFullBackupRunner.Refuses"/>).</param>
    public static Props Props(
        ResourceId id, IResourceStore store, ResourceCache cache, IStorageJanitor janitor, IFullBackupRunner backups, ArchiverSettings settings, TimeProvider clock, IEventRecorder? events = null) =>
        Akka.Actor.Props.Create(() => new ArchiverActor(id, store, cache, janitor, backups, settings, clock, events));

    protected override void OnReplaySuccess()
    {
        if (_state.Deleted) return;
        Timers.StartPeriodicTimer("resync", new ReconcileArchiver(_state.Id, "resync"), _settings.ResyncInterval);
        Self.Tell(new ReconcileArchiver(_state.Id, "started"));
    }

    // Counted for the node's /metrics (archiver_node_entities): which entities live where.
    protected override void PreStart()
    {
        Metrics.NodeMetrics.For(Context.System).Entity("archiver", +1);
        base.PreStart();
    }

    protected override void PostStop()
    {
        Metrics.NodeMetrics.For(Context.System).Entity("archiver", -1);
        _stopping.Cancel();
        _stopping.Dispose();
        base.PostStop();
    }

    private void Reconcile()
    {
        if (_state.Deleted) return;
        if (_busy)
        {
            _dirty = true;
            return;
        }

        var wait = _lastReconcile + _settings.MinReconcileInterval - _clock.GetUtcNow();
        if (wait > TimeSpan.Zero && !_urgent)
        {
            // Too soon after the last one: one reconcile a little later covers everything asked meanwhile.
            if (!Timers.IsTimerActive("coalesce")) Timers.StartSingleTimer("coalesce", new ReconcileArchiver(_state.Id, "coalesced"), wait);
            return;
        }

        _busy = true;
        _urgent = false;
        _lastReconcile = _clock.GetUtcNow();
        var after = _after.Select(a => new ObservedVersion(a.Key, a.Value)).ToList();
        _after.Clear();
        _effects.LoadAsync(_state, after, _stopping.Token).PipeTo(Self, success: world => new WorldLoaded(world), failure: e => new ReconcileFailed(e));
    }

    private void OnWorld(WorldLoaded loaded)
    {
        if (loaded.World.Archiver is null && _state.Databases.IsEmpty)
        {
            // Gone, with nothing left to undo: leave the remembered set.
            _busy = false;
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }

        _uid = loaded.World.Archiver?.Metadata.Uid ?? _uid;
        var plan = ArchiverPlanner.Plan(_state, loaded.World, _clock.GetUtcNow());
        PersistAll(plan.Events, Apply);
        DeferAsync(plan, p =>
        {
            _effects.ApplyAsync(_state.Id, loaded.World.Archiver, p, _stopping.Token).PipeTo(Self, success: () => new EffectsDone(p), failure: e => new ReconcileFailed(e));
        });
    }

    private void OnDone(EffectsDone done)
    {
        if (done.Plan.FinishDeletion && !_state.Deleted)
        {
            Persist(new ArchiverDeletionFinished(_state.Id, _clock.GetUtcNow()), e =>
            {
                Apply(e);
                Timers.CancelAll();
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            });
            return;
        }

        _failures = 0;
        Next();
    }

    private void OnFailed(ReconcileFailed failed)
    {
        // Backoff: a cause that lasts (RBAC refusing a write until someone grants it) is not hammered every 2 s.
        var wait = _settings.RetryAfter(++_failures);
        _log.Warning(failed.Error is ResourceForbiddenException ? null : failed.Error, "reconciling {0} failed ({1}); trying again in {2}", _state.Id, failed.Error.Message, wait);
        _dirty = false;
        _busy = false;
        Timers.StartSingleTimer("retry", new ReconcileArchiver(_state.Id, "retry"), wait);
    }

    private void Next()
    {
        _busy = false;
        if (!_dirty) return;
        _dirty = false;
        Reconcile();
    }

    private sealed record WorldLoaded(ArchiverWorld World) : INoSerializationVerificationNeeded;

    private sealed record EffectsDone(ArchiverPlan Plan) : INoSerializationVerificationNeeded;

    private sealed record ReconcileFailed(Exception Error) : INoSerializationVerificationNeeded;
}
