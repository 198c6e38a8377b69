using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Archiver.Actors.Ports;
using Archiver.Actors.Watching;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s;
using k8s.Models;

namespace Archiver.Actors.Embedded;

/// <summary>
/// The embedded node's resource store, with the API server's rules so the control plane behaves as it will in a
/// cluster: names are unique per kind and namespace; every write gets a new <c>resourceVersion</c>; an update must
/// carry the one it read (every kind here is a custom resource, and those allow no unconditional update: 422) and a
/// stale one is refused (409), as is one naming another object's <c>uid</c>; a spec change bumps <c>generation</c>;
/// deleting an object with finalizers only marks it (<c>deletionTimestamp</c>) until they are removed; the garbage
/// collector deletes what its owners no longer hold (<c>InMemoryResourceStore.GarbageCollector.cs</c>); and
/// watchers see every change of a kind in order. Objects
/// are stored as JSON, so no caller ever shares an instance with the store. Like the API server's storage, each
/// kind is kept apart, under its own lock, and indexed by namespace and by label, so a list reads (and
/// deserializes) only what it returns; a get takes no lock at all, and no deserializing is done under one except
/// the one copy every watcher shares. With a <see cref="IResourceJournal"/>, every change is written to it under
/// the same lock before it is stored, so what a caller (or a watcher, or a lock-free get) has seen is never lost
/// with the process; without one (tests, benchmarks) the store lives and dies with the process.
/// </summary>
public sealed partial class InMemoryResourceStore(TimeProvider clock, IResourceJournal? journal) : IResourceStore
{
    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);
    private readonly Lock _namespacesGate = new();
    private readonly Dictionary<string, NamespaceInfo> _namespaces = new(StringComparer.Ordinal);
    private readonly Lock _watchersGate = new();
    private ImmutableArray<Channel<ResourceEvent>> _watchers = [];
    private long _version;

    public InMemoryResourceStore()
        : this(TimeProvider.System)
    {
    }

    public InMemoryResourceStore(TimeProvider clock)
        : this(clock, null)
    {
    }

    public Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource =>
        Task.FromResult(KindOf<T>().Current.TryGetValue(id, out var stored) ? Read<T>(stored.Json) : null);

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
        where T : Resource
    {
        var kind = KindOf<T>();
        List<string> found;
        lock (kind.Gate)
        {
            found = [.. kind.Objects.In(@namespace).Select(s => s.Json)];
        }

        IReadOnlyList<T> items = [.. found.Select(Read<T>)];
        return Task.FromResult(items);
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
        where T : Resource
    {
        var kind = KindOf<T>();
        List<string> found;
        lock (kind.Gate)
        {
            found = [.. kind.Objects.Matching(@namespace, labelSelector).Select(s => s.Json)];
        }

        IReadOnlyList<T> items = [.. found.Select(Read<T>)];
        return Task.FromResult(items);
    }

    public Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource
    {
        var id = IdOf(resource);
        var kind = KindOf<T>();
        var node = WithTypeHeader(kind, ManifestWriter.ToJsonNode(resource));
        string json;
        lock (kind.Gate)
        {
            if (kind.Current.ContainsKey(id)) throw new ResourceConflictException($"{kind.Qualified} \"{id.Name}\" already exists");
            var metadata = node["metadata"]!.AsObject();
            metadata["namespace"] = id.Namespace;
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["generation"] = 1;
            metadata["creationTimestamp"] = Rfc3339.FormatSeconds(clock.GetUtcNow());
            metadata.Remove("deletionTimestamp");
            EnsureNamespace(id.Namespace);
            json = Write(kind, id, node, ResourceEventType.Added);
        }

        return Task.FromResult(Read<T>(json));
    }

    public Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => Task.FromResult(Replace(resource, statusOnly: false));

    public Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => Task.FromResult(Replace(resource, statusOnly: true));

    public Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource => Task.FromResult(Delete(KindOf<T>(), id));

    /// <summary>Deletes it, or with finalizers marks it; false when it was not there.</summary>
    private bool Delete(Kind kind, ResourceId id)
    {
        lock (kind.Gate)
        {
            if (!kind.Current.TryGetValue(id, out var stored)) return false;
            var node = JsonNode.Parse(stored.Json)!;
            var metadata = node["metadata"]!.AsObject();
            if (metadata["finalizers"] is JsonArray { Count: > 0 })
            {
                // Finalizers hold the object until their controllers have acted on the deletion.
                metadata["deletionTimestamp"] ??= Rfc3339.FormatSeconds(clock.GetUtcNow());
                Write(kind, id, node, ResourceEventType.Modified);
                return true;
            }

            Remove(kind, id, stored.Json, stored.Json);
            return true;
        }
    }

    /// <summary>The object leaves the store (under the kind's lock): journaled, unindexed, published, and its dependents collected.</summary>
    private void Remove(Kind kind, ResourceId id, string storedJson, string lastJson)
    {
        var metadata = JsonNode.Parse(storedJson)!["metadata"]!;
        journal?.Delete(kind.Name, id, metadata["resourceVersion"]?.GetValue<string>());
        kind.Remove(id);
        Publish(new ResourceEvent(ResourceEventType.Deleted, kind.Type.FromJson(lastJson)));
        CollectDependentsOf(id.Namespace, metadata["uid"]?.GetValue<string>());
    }

    public Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default)
    {
        lock (_namespacesGate)
        {
            IReadOnlyList<NamespaceInfo> all = [.. _namespaces.Values.OrderBy(n => n.Name, StringComparer.Ordinal)];
            return Task.FromResult(all);
        }
    }

    /// <summary>Creates or relabels a namespace (what <c>kubectl label namespace</c> does).</summary>
    public void SetNamespace(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var ns = new NamespaceInfo(name, labels ?? new Dictionary<string, string>());
        lock (_namespacesGate)
        {
            journal?.PutNamespace(ns);
            _namespaces[name] = ns;
        }
    }

    public async IAsyncEnumerable<ResourceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<ResourceEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_watchersGate)
        {
            _watchers = _watchers.Add(channel);
        }

        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellation)) yield return e;
        }
        finally
        {
            lock (_watchersGate)
            {
                _watchers = _watchers.Remove(channel);
            }
        }
    }

    private T Replace<T>(T resource, bool statusOnly)
        where T : Resource
    {
        var id = IdOf(resource);
        var kind = KindOf<T>();
        var incoming = WithTypeHeader(kind, ManifestWriter.ToJsonNode(resource)).AsObject();
        string json;
        lock (kind.Gate)
        {
            if (!kind.Current.TryGetValue(id, out var stored)) throw new ResourceNotFoundException($"{kind.Qualified} \"{id.Name}\" not found");
            var current = JsonNode.Parse(stored.Json)!.AsObject();
            var currentMetadata = current["metadata"]!.AsObject();
            CheckPreconditions(kind, id, resource.Metadata, currentMetadata);

            JsonObject next;
            if (statusOnly)
            {
                next = current;
                next["status"] = incoming["status"]?.DeepClone();
            }
            else
            {
                next = incoming;
                next["status"] = current["status"]?.DeepClone();
                var metadata = next["metadata"]!.AsObject();
                foreach (var kept in new[] { "uid", "creationTimestamp", "deletionTimestamp", "generation", "namespace" })
                {
                    metadata[kept] = currentMetadata[kept]?.DeepClone();
                }

                if (!JsonNode.DeepEquals(current["spec"], next["spec"]))
                {
                    metadata["generation"] = (currentMetadata["generation"]?.GetValue<long>() ?? 0) + 1;
                }

                // Removing the last finalizer of an object being deleted completes the deletion.
                if (metadata["deletionTimestamp"] is not null && metadata["finalizers"] is not JsonArray { Count: > 0 })
                {
                    var last = next.ToJsonString();
                    Remove(kind, id, stored.Json, last);
                    return Read<T>(last);
                }
            }

            json = Write(kind, id, next, ResourceEventType.Modified);
        }

        return Read<T>(json);
    }

    /// <summary>
    /// The API server's update preconditions, in its order (kubernetes/apiserver <c>pkg/registry/generic/registry/store.go</c>
    /// Update): a uid the update names must be the stored object's (<c>pkg/registry/rest/update.go</c> makes it a
    /// precondition, the storage checks it first), so a status meant for a database deleted and created again under its
    /// name never lands on the new one; then custom resources allow no update without a resourceVersion; then a stale
    /// one conflicts. The messages are the API server's.
    /// </summary>
    private static void CheckPreconditions(Kind kind, ResourceId id, V1ObjectMeta given, JsonObject current)
    {
        var uid = current["uid"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(given.Uid) && given.Uid != uid)
        {
            throw new ResourceConflictException($"Operation cannot be fulfilled on {kind.Qualified} \"{id.Name}\": StorageError: invalid object, Code: 4, "
                + $"Key: /registry/{kind.Type.Group}/{kind.Type.Plural}/{id.Namespace}/{id.Name}, ResourceVersion: 0, "
                + $"AdditionalErrorMsg: Precondition failed: UID in precondition: {given.Uid}, UID in object meta: {uid}");
        }

        if (string.IsNullOrEmpty(given.ResourceVersion))
        {
            throw new ResourceInvalidException($"{kind.Qualified} \"{id.Name}\" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update");
        }

        if (given.ResourceVersion != current["resourceVersion"]?.GetValue<string>())
        {
            throw new ResourceConflictException($"Operation cannot be fulfilled on {kind.Qualified} \"{id.Name}\": the object has been modified; please apply your changes to the latest version and try again");
        }
    }

    /// <summary>Stores and publishes the object at a new resourceVersion (under the kind's lock); returns its JSON.</summary>
    private string Write(Kind kind, ResourceId id, JsonNode node, ResourceEventType type)
    {
        var version = Interlocked.Increment(ref _version);
        node["metadata"]!["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
        var json = node.ToJsonString();
        // Journaled before it is stored: nothing anyone has seen can be lost with the process. A refused write
        // leaves a gap in the versions, which nobody reads as a change.
        journal?.Put(kind.Name, id, json, version);
        var stored = StoredOf(json, node);
        kind.Put(id, stored);
        // Published under the kind's lock, so each kind's changes reach watchers in version order; every watcher
        // shares the one copy.
        Publish(new ResourceEvent(type, kind.Type.FromJson(json)));
        CollectIfOrphaned(kind, id, stored);
        return json;
    }

    private void Publish(ResourceEvent e)
    {
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(e);
    }

    private void EnsureNamespace(string name)
    {
        lock (_namespacesGate)
        {
            if (!_namespaces.ContainsKey(name)) _namespaces[name] = new NamespaceInfo(name, new Dictionary<string, string>());
        }
    }

    private Kind KindOf<T>()
        where T : Resource => KindOf(ResourceKinds.Find(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not a resource kind"));

    private Kind KindOf(ResourceKind type) => _kinds.GetOrAdd(type.Kind, _ => new Kind(type));

    /// <summary>What is stored (so what a read answers) says its apiVersion and kind, as the API server's answers do, whatever the caller left out.</summary>
    private static JsonNode WithTypeHeader(Kind kind, JsonNode node)
    {
        node["apiVersion"] = kind.Type.ApiVersion;
        node["kind"] = kind.Type.Kind;
        return node;
    }

    private static Stored StoredOf(string json, JsonNode node) => new(json, LabelsOf(node), node["metadata"]?["uid"]?.GetValue<string>(), OwnersOf(node));

    private static Dictionary<string, string> LabelsOf(JsonNode node) =>
        node["metadata"]?["labels"] is JsonObject labels
            ? labels.Where(l => l.Value is not null).ToDictionary(l => l.Key, l => l.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static Owner[] OwnersOf(JsonNode node) =>
        node["metadata"]?["ownerReferences"] is JsonArray references
            ? [.. references.OfType<JsonObject>().Select(r => new Owner(
                r["apiVersion"]?.GetValue<string>() ?? "", r["kind"]?.GetValue<string>() ?? "", r["name"]?.GetValue<string>() ?? "", r["uid"]?.GetValue<string>() ?? ""))]
            : [];

    private static ResourceId IdOf(Resource resource) =>
        new(string.IsNullOrEmpty(resource.Metadata.NamespaceProperty) ? "default" : resource.Metadata.NamespaceProperty,
            string.IsNullOrEmpty(resource.Metadata.Name) ? throw new ArgumentException("metadata.name is required") : resource.Metadata.Name);

    private static T Read<T>(string json) => KubernetesJson.Deserialize<T>(json);

    /// <summary>
    /// One stored object: its JSON (what the store hands out, as copies), its labels (what lists select on), and its
    /// uid and owner references (what the garbage collector goes by).
    /// </summary>
    private sealed record Stored(string Json, Dictionary<string, string> Labels, string? Uid, Owner[] Owners);

    /// <summary>One of an object's <c>metadata.ownerReferences</c>.</summary>
    private sealed record Owner(string ApiVersion, string Kind, string Name, string Uid);

    /// <summary>
    /// One kind's objects: indexed (changed and listed under <see cref="Gate"/>) and, for gets, the current state
    /// of each, which a reader takes without the lock (a record replaced whole, never changed).
    /// </summary>
    private sealed class Kind(ResourceKind type)
    {
        public ResourceKind Type { get; } = type;

        public string Name => Type.Kind;

        /// <summary>How the API server names the resource in its messages: <c>mongodbs.kubedb.com</c>.</summary>
        public string Qualified => $"{Type.Plural}.{Type.Group}";

        public Lock Gate { get; } = new();

        public IndexedObjects<Stored> Objects { get; } = new(s => s.Labels);

        public ConcurrentDictionary<ResourceId, Stored> Current { get; } = new();

        public void Put(ResourceId id, Stored stored)
        {
            Objects.Put(id, stored);
            Current[id] = stored;
        }

        public void Remove(ResourceId id)
        {
            Objects.Remove(id, out _);
            Current.TryRemove(id, out _);
        }
    }
}
