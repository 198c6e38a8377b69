using Akka.Actor;
using Akka.Event;
using Archiver.Actors.Archivers;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Watching;

/// <summary>
/// Turns resource changes into messages to the entities (CR-driven messaging), hearing them from its node's
/// <see cref="ResourceCache"/> after the cache holds them: an archiver hears of itself, of the databases it can
/// select or that name it (<see cref="ChangeRouting"/>), of the storage and retention policy it uses, and of the
/// phases of its ops requests; a new ops request is started when its turn comes (<see cref="OpsRequestAdmission"/>).
/// Each message to an archiver names the change, so an archiver on another node reads a cache that holds it. On start the cache hands it every object it holds,
/// so nothing created while no node ran is missed. Every message is idempotent: repeating some is harmless.
/// </summary>
public sealed class ResourceWatcherActor : ReceiveActor, IWithTimers
{
    private readonly IResourceStore _store;
    private readonly ResourceCache _cache;
    private readonly IActorRef _archivers;
    private readonly IActorRef _opsRequests;
    private readonly IActorRef _databases;
    private readonly IStorageJanitor _janitor;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly OpsRequestAdmission _admission;
    private readonly TimeSpan _startTimeout;
    private IDisposable? _subscription;
    private SelectionIndex? _selection;

    public ResourceWatcherActor(IResourceStore store, ResourceCache cache, IStorageJanitor janitor, IActorRef archivers, IActorRef opsRequests, IActorRef databases, WatcherSettings settings)
    {
        _admission = new OpsRequestAdmission(settings.MaxOpsRequestsInFlight, settings.StartTimeout);
        _startTimeout = settings.StartTimeout;
        _janitor = janitor;
        _store = store;
        _cache = cache;
        _archivers = archivers;
        _opsRequests = opsRequests;
        _databases = databases;
        Receive<CachedChange>(OnChange);
        Receive<ResendOverdueStarts>(_ => Send(_admission.Overdue(DateTimeOffset.UtcNow)));
        Receive<Status.Failure>(f =>
        {
            _log.Error(f.Cause, "listing snapshots failed; restarting the watcher");
            throw new InvalidOperationException("listing snapshots failed", f.Cause);
        });
    }

    /// <summary>The archivers by what they select, rebuilt from the cache after an archiver's spec changes.</summary>
    private SelectionIndex Selection => _selection ??= new SelectionIndex(_cache.List<MongoDBArchiver>());

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IResourceStore store, ResourceCache cache, IStorageJanitor janitor, IActorRef archivers, IActorRef opsRequests, IActorRef databases, WatcherSettings? settings = null) =>
        Akka.Actor.Props.Create(() => new ResourceWatcherActor(store, cache, janitor, archivers, opsRequests, databases, settings ?? new WatcherSettings()));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("resend", ResendOverdueStarts.Instance, _startTimeout / 3);
        var self = Self;
        _subscription = _cache.Subscribe(change => self.Tell(change));

        // Snapshots are not cached (they are only written and looked up one by one): list them once for deletions
        // begun while no node ran; later ones come through the cache as they happen.
        _store.ListAsync<Snapshot>(cancellation: _stopping.Token).ContinueWith(t =>
        {
            if (t.IsFaulted)
            {
                self.Tell(new Status.Failure(t.Exception!.GetBaseException()));
                return;
            }

            if (!t.IsCompletedSuccessfully) return;
            foreach (var snapshot in t.Result.Where(SnapshotData.IsBeingDeleted)) self.Tell(new CachedChange(ResourceEventType.Modified, snapshot, null));
        }, TaskScheduler.Default);
    }

    protected override void PostStop()
    {
        _subscription?.Dispose();
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private void OnChange(CachedChange change)
    {
        var id = ResourceId.Of(change.Resource);
        switch (change.Resource)
        {
            case MongoDBArchiver archiver:
                OnArchiver(id, archiver, change);
                break;
            case MongoDB database:
                OnDatabase(id, database, change);
                break;
            case MongoDBOpsRequest request:
                OnOpsRequest(id, request, change);
                break;
            case Snapshot snapshot when SnapshotData.IsBeingDeleted(snapshot):
                var log = _log;
                SnapshotData.FinishDeletionAsync(snapshot, _store, _janitor, _stopping.Token).ContinueWith(
                    t => log.Warning(t.Exception, "deleting the data of snapshot {0} failed; it stays until it can be", id),
                    TaskContinuationOptions.OnlyOnFaulted);
                break;
            case BackupStorage or RetentionPolicy when ChangeRouting.ConcernsReferrers(change.Old, change.Type == ResourceEventType.Deleted ? null : change.Resource):
                foreach (var archiver in _cache.List<MongoDBArchiver>().Where(a => ChangeRouting.Refers(a, change.Resource)))
                {
                    _archivers.Tell(new ReconcileArchiver(ResourceId.Of(archiver), $"{change.Resource.Kind} {id} {change.Type}", change.Version));
                }

                break;
        }
    }

    private void OnArchiver(ResourceId id, MongoDBArchiver archiver, CachedChange change)
    {
        var after = change.Type == ResourceEventType.Deleted ? null : archiver;
        if (!ChangeRouting.ConcernsArchiver(change.Old as MongoDBArchiver, after)) return;
        _selection = null;
        _archivers.Tell(new ReconcileArchiver(id, $"archiver {change.Type}", change.Version));
        // Its databases' schedules follow its spec.
        foreach (var db in _cache.OwnedBy<MongoDB>(id)) _databases.Tell(new ReconcileDatabase(ResourceId.Of(db), $"archiver {id} {change.Type}"));
    }

    private void OnDatabase(ResourceId id, MongoDB database, CachedChange change)
    {
        var before = change.Old as MongoDB;
        var after = change.Type == ResourceEventType.Deleted ? null : database;
        if (ChangeRouting.ConcernsDatabase(before, after)) _databases.Tell(new ReconcileDatabase(id, $"database {change.Type}"));
        foreach (var archiver in ChangeRouting.ArchiversFor(before, after, Selection))
        {
            _archivers.Tell(new ReconcileArchiver(archiver, $"database {id} {change.Type}", change.Version));
        }
    }

    private void OnOpsRequest(ResourceId id, MongoDBOpsRequest request, CachedChange change)
    {
        if (request.Spec?.Archiver is not { Operation: { } operation, Ref: { } reference } || request.Spec.DatabaseRef is null) return;
        var archiverId = new ResourceId(reference.NamespaceOr(id.Namespace), reference.Name);
        var deleted = change.Type == ResourceEventType.Deleted;
        var now = DateTimeOffset.UtcNow;
        var phase = deleted ? null : request.Status?.Phase;
        var hash = request.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var h) == true ? h : null;
        Send(phase switch
        {
            _ when deleted => _admission.Finished(id, now),
            OpsRequestPhase.Successful or OpsRequestPhase.Failed or OpsRequestPhase.Skipped => _admission.Finished(id, now),
            OpsRequestPhase.Progressing => _admission.Progressing(id, now),
            _ => _admission.Pending(new StartOpsRequest(id, operation, new ResourceId(id.Namespace, request.Spec.DatabaseRef.Name), archiverId, hash), now),
        });

        // An archiver acts on an ops request's phase, not on each condition written during a step.
        if (!deleted && change.Old is MongoDBOpsRequest before && before.Status?.Phase == request.Status?.Phase) return;
        _archivers.Tell(new ReconcileArchiver(archiverId, $"ops request {id} {change.Type}", change.Version));
    }

    private void Send(IReadOnlyList<StartOpsRequest> starts)
    {
        foreach (var start in starts) _opsRequests.Tell(start);
    }

    private sealed record ResendOverdueStarts
    {
        public static readonly ResendOverdueStarts Instance = new();
    }
}
