using System.Globalization;
using Akka.Actor;
using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Watching;

/// <summary>
/// A node's informer: one list-then-watch of the store, kept as typed objects indexed by namespace, label and
/// owner (the archiver a database or ops request names), so entities read what they decide on from memory, as a
/// Kubernetes controller reads its informer's listers rather than the API server. Handlers hear each change after
/// the cache holds it, with the object before and after, so whoever they wake reads a cache at least that new.
/// Objects handed out are shared, as client-go's are: read them, never change them (copy, or get a fresh one from
/// the store, before a write). A failed watch is listed and watched again, as a reflector does; what changed in
/// between reaches handlers as ordinary changes. resourceVersions are compared as numbers, as the API server's own
/// watch cache does with etcd's revisions.
/// </summary>
public sealed class ResourceCache : IExtension, IDisposable
{
    /// <summary>What the control plane decides on. Snapshots, BackupConfigurations and the like are only written or
    /// looked up one at a time: their changes pass through to handlers without being kept.</summary>
    private static readonly CachedKind[] Kinds =
    [
        Kind<MongoDBArchiver>(), Kind<MongoDBOpsRequest>(), Kind<MongoDB>(), Kind<BackupStorage>(), Kind<RetentionPolicy>(),
    ];

    private readonly IResourceStore _store;
    private readonly Action<Exception>? _watchFailed;
    private readonly TimeSpan _relistAfter;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IndexedObjects<Resource>> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly List<Action<CachedChange>> _handlers = [];
    private readonly List<(ObservedVersion Mark, TaskCompletionSource Reached)> _waiters = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private int _started;

    public ResourceCache(IResourceStore store, Action<Exception>? watchFailed = null, TimeSpan? relistAfter = null)
    {
        _store = store;
        _watchFailed = watchFailed;
        _relistAfter = relistAfter ?? TimeSpan.FromSeconds(1);
        foreach (var kind in Kinds) _tables[kind.Name] = new IndexedObjects<Resource>(r => r.Metadata.Labels, OwnerOf);
    }

    /// <summary>Completes once every kind has been listed: before that, reads see only part of the store.</summary>
    public Task Synced => _synced.Task;

    /// <summary>The node's cache, started on first use over the store the node was composed with.</summary>
    public static ResourceCache For(ActorSystem system) => system.WithExtension<ResourceCache, ResourceCacheProvider>();

    /// <summary>Lists and starts watching (once; later calls do nothing).</summary>
    public ResourceCache Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0) _ = Task.Run(() => RunAsync(_stopping.Token));
        return this;
    }

    public T? Get<T>(ResourceId id)
        where T : Resource
    {
        lock (_gate)
        {
            return Table<T>().TryGet(id, out var found) ? (T)found : null;
        }
    }

    /// <summary>The cached objects of the kind in the namespace (null: all) whose labels match the selector (null: all), by namespace/name.</summary>
    public IReadOnlyList<T> List<T>(string? @namespace = null, V1LabelSelector? labelSelector = null)
        where T : Resource
    {
        lock (_gate)
        {
            return [.. Table<T>().Matching(@namespace, labelSelector).Cast<T>()];
        }
    }

    /// <summary>The databases or ops requests naming the archiver (<c>spec.archiver.ref</c>), by namespace/name.</summary>
    public IReadOnlyList<T> OwnedBy<T>(ResourceId archiver)
        where T : Resource
    {
        lock (_gate)
        {
            return [.. Table<T>().OwnedBy(archiver.ToString()).Cast<T>()];
        }
    }

    /// <summary>
    /// Calls the handler with every cached object (as Added), then with every change as it is applied, in order,
    /// until disposed. Calls are made under the cache's lock, one at a time: a handler must only hand the change on.
    /// </summary>
    public IDisposable Subscribe(Action<CachedChange> handler)
    {
        lock (_gate)
        {
            foreach (var kind in Kinds)
            {
                foreach (var resource in _tables[kind.Name].In(null)) handler(new CachedChange(ResourceEventType.Added, resource, null));
            }

            _handlers.Add(handler);
        }

        return new Subscription(this, handler);
    }

    /// <summary>
    /// Waits until the cache has applied the kind's changes up to the resourceVersion (true), or the time is up
    /// (false): the change that woke a reader on this node may have reached another node's cache first.
    /// </summary>
    public async Task<bool> WaitForAsync(ObservedVersion mark, TimeSpan timeout, CancellationToken cancellation = default)
    {
        TaskCompletionSource reached;
        lock (_gate)
        {
            if (Reached(mark)) return true;
            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((mark, reached));
        }

        try
        {
            await reached.Task.WaitAsync(timeout, cancellation);
            return true;
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Reached == reached);
            }

            return false;
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        lock (_gate)
        {
            _handlers.Clear();
            foreach (var (_, reached) in _waiters) reached.TrySetCanceled();
            _waiters.Clear();
        }
    }

    internal static long? VersionOf(Resource resource) =>
        long.TryParse(resource.Metadata.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;

    internal static string KindOf(Resource resource) => ResourceKinds.Find(resource.GetType())?.Kind ?? resource.Kind;

    private async Task RunAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                var events = _store.WatchAsync(cancellation).GetAsyncEnumerator(cancellation);
                await using (events.ConfigureAwait(false))
                {
                    // The first MoveNext opens the watch; listing after it means nothing falls between the two. What
                    // both deliver is applied once: a change at a version the cache holds is a duplicate.
                    var next = events.MoveNextAsync();
                    foreach (var kind in Kinds) Replace(kind.Name, await kind.List(_store, cancellation));
                    _synced.TrySetResult();
                    while (await next)
                    {
                        Apply(events.Current);
                        next = events.MoveNextAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _watchFailed?.Invoke(e);
                try
                {
                    await Task.Delay(_relistAfter, cancellation);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>A fresh list of a kind: what it lacks was deleted while the watch was down.</summary>
    private void Replace(string kind, IReadOnlyList<Resource> listed)
    {
        lock (_gate)
        {
            var table = _tables[kind];
            var seen = new HashSet<ResourceId>();
            foreach (var resource in listed)
            {
                seen.Add(ResourceId.Of(resource));
                Apply(kind, table, ResourceEventType.Modified, resource);
            }

            foreach (var id in table.Ids.Where(id => !seen.Contains(id)).ToList())
            {
                table.Remove(id, out var gone);
                Emit(new CachedChange(ResourceEventType.Deleted, gone!, gone));
            }
        }
    }

    private void Apply(ResourceEvent e)
    {
        lock (_gate)
        {
            var kind = KindOf(e.Resource);
            if (_tables.TryGetValue(kind, out var table)) Apply(kind, table, e.Type, e.Resource);
            else Emit(new CachedChange(e.Type, e.Resource, null));
        }
    }

    private void Apply(string kind, IndexedObjects<Resource> table, ResourceEventType type, Resource resource)
    {
        var id = ResourceId.Of(resource);
        var version = VersionOf(resource);
        table.TryGet(id, out var old);
        if (old is not null && version is { } v && VersionOf(old) is { } held)
        {
            // Older than what is held (a deletion of an earlier incarnation, an event the list already covered) or
            // the very version held: nothing new.
            var stale = type == ResourceEventType.Deleted ? v < held : v <= held;
            if (stale)
            {
                Advance(kind, v);
                return;
            }
        }

        if (type == ResourceEventType.Deleted)
        {
            if (old is null) return;
            table.Remove(id, out _);
            Advance(kind, version);
            Emit(new CachedChange(ResourceEventType.Deleted, resource, old));
            return;
        }

        table.Put(id, resource);
        Advance(kind, version);
        Emit(new CachedChange(old is null ? ResourceEventType.Added : ResourceEventType.Modified, resource, old));
    }

    private void Advance(string kind, long? version)
    {
        if (version is not { } v || (_versions.TryGetValue(kind, out var held) && held >= v)) return;
        _versions[kind] = v;
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (!Reached(_waiters[i].Mark)) continue;
            _waiters[i].Reached.TrySetResult();
            _waiters.RemoveAt(i);
        }
    }

    private bool Reached(ObservedVersion mark) => _versions.TryGetValue(mark.Kind, out var held) && held >= mark.ResourceVersion;

    private void Emit(CachedChange change)
    {
        foreach (var handler in _handlers) handler(change);
    }

    private IndexedObjects<Resource> Table<T>()
        where T : Resource =>
        _tables.TryGetValue(ResourceKinds.Find(typeof(T))?.Kind ?? "", out var table)
            ? table
            : throw new ArgumentException($"{typeof(T).Name} is not cached; read it from the store");

    /// <summary>The owner index: the archiver a database or an ops request names.</summary>
    private static string? OwnerOf(Resource resource) => resource switch
    {
        MongoDB db => DatabaseMutator.ArchiverOf(db)?.ToString(),
        MongoDBOpsRequest { Spec.Archiver.Ref: { } reference } request => new ResourceId(reference.NamespaceOr(ResourceId.Of(request).Namespace), reference.Name).ToString(),
        _ => null,
    };

    private static CachedKind Kind<T>()
        where T : Resource =>
        new(ResourceKinds.Find(typeof(T))!.Kind, async (store, cancellation) => await store.ListAsync<T>(cancellation: cancellation));

    private sealed record CachedKind(string Name, Func<IResourceStore, CancellationToken, Task<IReadOnlyList<Resource>>> List);

    private sealed class Subscription(ResourceCache cache, Action<CachedChange> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (cache._gate)
            {
                cache._handlers.Remove(handler);
            }
        }
    }
}

/// <summary>A change as the node's cache applied it: the object after (for a deletion, as last seen) and before (null when it was not cached).</summary>
public sealed record CachedChange(ResourceEventType Type, Resource Resource, Resource? Old)
{
    /// <summary>The version a reader woken by this change must see, or null when the resource carries none.</summary>
    public ObservedVersion? Version => ResourceCache.VersionOf(Resource) is { } version ? new ObservedVersion(ResourceCache.KindOf(Resource), version) : null;
}
