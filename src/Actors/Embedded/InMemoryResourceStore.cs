using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Archiver.Actors.Ports;
using Archiver.Actors.Watching;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;

namespace Archiver.Actors.Embedded;

/// <summary>
/// The embedded node's resource store, with the API server's rules so the control plane behaves as it will in a
/// cluster: names are unique per kind and namespace, every write gets a new <c>resourceVersion</c> and a stale one
/// is refused, a spec change bumps <c>generation</c>, deleting an object with finalizers only marks it
/// (<c>deletionTimestamp</c>) until they are removed, and watchers see every change in order. Objects are
/// stored as JSON, so no caller ever shares an instance with the store. Like the API server's storage, each kind
/// is kept apart and indexed by namespace and by label, so a list reads (and deserializes) only what it returns.
/// </summary>
public sealed partial class InMemoryResourceStore(TimeProvider clock) : IResourceStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IndexedObjects<Stored>> _kinds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NamespaceInfo> _namespaces = new(StringComparer.Ordinal);
    private readonly List<Channel<ResourceEvent>> _watchers = [];
    private long _version;

    public InMemoryResourceStore()
        : this(TimeProvider.System)
    {
    }

    public Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource
    {
        lock (_gate)
        {
            return Task.FromResult(Table<T>().TryGet(id, out var stored) ? Read<T>(stored.Json) : null);
        }
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
        where T : Resource
    {
        lock (_gate)
        {
            IReadOnlyList<T> items = [.. Table<T>().In(@namespace).Select(s => Read<T>(s.Json))];
            return Task.FromResult(items);
        }
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
        where T : Resource
    {
        lock (_gate)
        {
            IReadOnlyList<T> items = [.. Table<T>().Matching(@namespace, labelSelector).Select(s => Read<T>(s.Json))];
            return Task.FromResult(items);
        }
    }

    public Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource
    {
        var id = IdOf(resource);
        lock (_gate)
        {
            if (Table<T>().TryGet(id, out _)) throw new ResourceConflictException($"{KindOf<T>()} {id} already exists");
            var node = ManifestWriter.ToJsonNode(resource);
            var metadata = node["metadata"]!.AsObject();
            metadata["namespace"] = id.Namespace;
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["generation"] = 1;
            metadata["creationTimestamp"] = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            metadata.Remove("deletionTimestamp");
            EnsureNamespace(id.Namespace);
            return Task.FromResult(Write<T>(id, node, ResourceEventType.Added));
        }
    }

    public Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => Task.FromResult(Replace(resource, statusOnly: false));

    public Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => Task.FromResult(Replace(resource, statusOnly: true));

    public Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource
    {
        lock (_gate)
        {
            var table = Table<T>();
            if (!table.TryGet(id, out var stored)) return Task.FromResult(false);
            var node = JsonNode.Parse(stored.Json)!;
            var metadata = node["metadata"]!.AsObject();
            if (metadata["finalizers"] is JsonArray { Count: > 0 })
            {
                // Finalizers hold the object until their controllers have acted on the deletion.
                metadata["deletionTimestamp"] ??= clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                Write<T>(id, node, ResourceEventType.Modified);
                return Task.FromResult(true);
            }

            table.Remove(id, out _);
            Publish(new ResourceEvent(ResourceEventType.Deleted, Read<T>(stored.Json)));
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default)
    {
        lock (_gate)
        {
            IReadOnlyList<NamespaceInfo> all = [.. _namespaces.Values.OrderBy(n => n.Name, StringComparer.Ordinal)];
            return Task.FromResult(all);
        }
    }

    /// <summary>Creates or relabels a namespace (what <c>kubectl label namespace</c> does).</summary>
    public void SetNamespace(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        lock (_gate)
        {
            _namespaces[name] = new NamespaceInfo(name, labels ?? new Dictionary<string, string>());
        }
    }

    public async IAsyncEnumerable<ResourceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<ResourceEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellation)) yield return e;
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    private T Replace<T>(T resource, bool statusOnly)
        where T : Resource
    {
        var id = IdOf(resource);
        lock (_gate)
        {
            var table = Table<T>();
            if (!table.TryGet(id, out var stored)) throw new ResourceNotFoundException($"{KindOf<T>()} {id} does not exist");
            var current = JsonNode.Parse(stored.Json)!.AsObject();
            var currentMetadata = current["metadata"]!.AsObject();
            var given = resource.Metadata.ResourceVersion;
            if (!string.IsNullOrEmpty(given) && given != currentMetadata["resourceVersion"]?.GetValue<string>())
            {
                throw new ResourceConflictException($"{KindOf<T>()} {id} was changed since resourceVersion {given}: read it again");
            }

            var incoming = ManifestWriter.ToJsonNode(resource).AsObject();
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
                    table.Remove(id, out _);
                    var gone = Read<T>(next.ToJsonString());
                    Publish(new ResourceEvent(ResourceEventType.Deleted, gone));
                    return gone;
                }
            }

            return Write<T>(id, next, ResourceEventType.Modified);
        }
    }

    private T Write<T>(ResourceId id, JsonNode node, ResourceEventType type)
        where T : Resource
    {
        node["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
        var json = node.ToJsonString();
        Table<T>().Put(id, new Stored(json, LabelsOf(node)));
        Publish(new ResourceEvent(type, Read<T>(json)));
        return Read<T>(json);
    }

    private void Publish(ResourceEvent e)
    {
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(e);
    }

    private void EnsureNamespace(string name)
    {
        if (!_namespaces.ContainsKey(name)) _namespaces[name] = new NamespaceInfo(name, new Dictionary<string, string>());
    }

    private IndexedObjects<Stored> Table<T>()
        where T : Resource => Table(KindOf<T>());

    private IndexedObjects<Stored> Table(string kind)
    {
        if (!_kinds.TryGetValue(kind, out var table)) _kinds[kind] = table = new IndexedObjects<Stored>(s => s.Labels);
        return table;
    }

    private static Dictionary<string, string> LabelsOf(JsonNode node) =>
        node["metadata"]?["labels"] is JsonObject labels
            ? labels.Where(l => l.Value is not null).ToDictionary(l => l.Key, l => l.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static ResourceId IdOf(Resource resource) =>
        new(string.IsNullOrEmpty(resource.Metadata.NamespaceProperty) ? "default" : resource.Metadata.NamespaceProperty,
            string.IsNullOrEmpty(resource.Metadata.Name) ? throw new ArgumentException("metadata.name is required") : resource.Metadata.Name);

    private static string KindOf<T>() => ResourceKinds.Find(typeof(T))?.Kind ?? throw new ArgumentException($"{typeof(T).Name} is not a resource kind");

    private static T Read<T>(string json) => KubernetesJson.Deserialize<T>(json);

    /// <summary>One stored object: its JSON (what the store hands out, as copies) and its labels (what lists select on).</summary>
    private sealed record Stored(string Json, Dictionary<string, string> Labels);
}
