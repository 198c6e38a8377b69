using Akka.Actor;
using Akka.Event;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Watching;

/// <summary>
/// Turns resource changes into messages to the entities (CR-driven messaging): an archiver hears of itself, of
/// any database, storage or retention policy, and of the phases of its ops requests; a new ops request is
/// started. On start it lists what exists, so nothing created while no node ran is missed. Every message it
/// sends is idempotent, so a restarted watcher repeating some is harmless.
/// </summary>
public sealed class ResourceWatcherActor : ReceiveActor
{
    private readonly IResourceStore _store;
    private readonly IActorRef _archivers;
    private readonly IActorRef _opsRequests;
    private readonly IActorRef _databases;
    private readonly IStorageJanitor _janitor;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<ResourceId> _knownArchivers = [];
    private readonly Dictionary<ResourceId, ResourceId> _archiverOf = [];
    private readonly Dictionary<ResourceId, OpsRequestPhase?> _phaseOf = [];
    private readonly Dictionary<ResourceId, string> _selectionFacts = [];

    public ResourceWatcherActor(IResourceStore store, IStorageJanitor janitor, IActorRef archivers, IActorRef opsRequests, IActorRef databases)
    {
        _janitor = janitor;
        _store = store;
        _archivers = archivers;
        _opsRequests = opsRequests;
        _databases = databases;
        Receive<ResourceEvent>(OnEvent);
        Receive<Status.Failure>(f =>
        {
            _log.Error(f.Cause, "the resource watch stopped; restarting it");
            throw new InvalidOperationException("resource watch failed", f.Cause);
        });
    }

    public static Props Props(IResourceStore store, IStorageJanitor janitor, IActorRef archivers, IActorRef opsRequests, IActorRef databases) =>
        Akka.Actor.Props.Create(() => new ResourceWatcherActor(store, janitor, archivers, opsRequests, databases));

    protected override void PreStart()
    {
        var self = Self;
        var store = _store;
        var token = _stopping.Token;
        // Subscribe first, then list, so nothing falls between the two; duplicates are harmless.
        var events = store.WatchAsync(token).GetAsyncEnumerator(token);
        _ = Task.Run(async () =>
        {
            foreach (var archiver in await store.ListAsync<MongoDBArchiver>(cancellation: token)) self.Tell(new ResourceEvent(ResourceEventType.Added, archiver));
            foreach (var request in await store.ListAsync<MongoDBOpsRequest>(cancellation: token)) self.Tell(new ResourceEvent(ResourceEventType.Added, request));
            foreach (var database in await store.ListAsync<MongoDB>(cancellation: token)) self.Tell(new ResourceEvent(ResourceEventType.Added, database));
            foreach (var snapshot in await store.ListAsync<Snapshot>(cancellation: token)) self.Tell(new ResourceEvent(ResourceEventType.Added, snapshot));
            while (await events.MoveNextAsync()) self.Tell(events.Current);
        }, token).ContinueWith(t =>
        {
            if (t.IsFaulted) self.Tell(new Status.Failure(t.Exception!.GetBaseException()));
        }, TaskScheduler.Default);
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private void OnEvent(ResourceEvent e)
    {
        var id = ResourceId.Of(e.Resource);
        switch (e.Resource)
        {
            case MongoDBArchiver:
                _knownArchivers.Add(id);
                _archivers.Tell(new ReconcileArchiver(id, $"archiver {e.Type}"));
                // Its databases' schedules follow its spec.
                foreach (var (db, archiver) in _archiverOf)
                {
                    if (archiver == id) _databases.Tell(new ReconcileDatabase(db, $"archiver {id} {e.Type}"));
                }

                break;
            case MongoDB database:
                OnDatabase(id, database, e.Type);
                break;
            case MongoDBOpsRequest request:
                OnOpsRequest(id, request, e.Type);
                break;
            case Snapshot snapshot when SnapshotData.IsBeingDeleted(snapshot):
                var log = _log;
                SnapshotData.FinishDeletionAsync(snapshot, _store, _janitor, _stopping.Token).ContinueWith(
                    t => log.Warning(t.Exception, "deleting the data of snapshot {0} failed; it stays until it can be", id),
                    TaskContinuationOptions.OnlyOnFaulted);
                break;
            case BackupStorage or RetentionPolicy:
                foreach (var archiver in _knownArchivers) _archivers.Tell(new ReconcileArchiver(archiver, $"{e.Resource.Kind} {id} {e.Type}"));
                break;
        }
    }

    private void OnDatabase(ResourceId id, MongoDB database, ResourceEventType type)
    {
        if (type != ResourceEventType.Deleted && database.Spec?.Archiver?.Ref is { } reference)
        {
            _archiverOf[id] = new ResourceId(reference.NamespaceOr(id.Namespace), reference.Name);
        }
        else
        {
            _archiverOf.Remove(id);
        }

        _databases.Tell(new ReconcileDatabase(id, $"database {type}"));

        // Archivers decide on labels, annotations, spec.archiver and the archiving phase; status writes that
        // change none of these (progress, windows, lag) would only make every archiver look again for nothing.
        var facts = type == ResourceEventType.Deleted ? "" : SelectionFacts(database);
        if (type != ResourceEventType.Deleted && _selectionFacts.TryGetValue(id, out var before) && before == facts) return;
        if (type == ResourceEventType.Deleted) _selectionFacts.Remove(id);
        else _selectionFacts[id] = facts;
        foreach (var archiver in _knownArchivers) _archivers.Tell(new ReconcileArchiver(archiver, $"database {id} {type}"));
    }

    private static string SelectionFacts(MongoDB db) => string.Join('\n',
        string.Join(',', (db.Metadata.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")),
        string.Join(',', (db.Metadata.Annotations ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}")),
        $"{db.Spec?.Archiver?.Ref?.Namespace}/{db.Spec?.Archiver?.Ref?.Name}/{db.Spec?.Archiver?.Pause}",
        $"{db.Status?.Archiver?.Phase}",
        $"{db.Metadata.DeletionTimestamp}");

    private void OnOpsRequest(ResourceId id, MongoDBOpsRequest request, ResourceEventType type)
    {
        if (request.Spec?.Archiver is not { Operation: { } operation, Ref: { } reference } || request.Spec.DatabaseRef is null) return;
        var archiverId = new ResourceId(reference.NamespaceOr(id.Namespace), reference.Name);
        if (type != ResourceEventType.Deleted && request.Status?.Phase is null or OpsRequestPhase.Pending)
        {
            var hash = request.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var h) == true ? h : null;
            _opsRequests.Tell(new StartOpsRequest(id, operation, new ResourceId(id.Namespace, request.Spec.DatabaseRef.Name), archiverId, hash));
        }

        // An archiver acts on an ops request's phase, not on each condition written during a step.
        var phase = type == ResourceEventType.Deleted ? null : request.Status?.Phase;
        if (type != ResourceEventType.Deleted && _phaseOf.TryGetValue(id, out var before) && before == phase) return;
        if (type == ResourceEventType.Deleted) _phaseOf.Remove(id);
        else _phaseOf[id] = phase;
        _archivers.Tell(new ReconcileArchiver(archiverId, $"ops request {id} {type}"));
    }
}
