using System.Globalization;
using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Embedded;

/// <summary>
/// Saving and loading the whole store, so an embedded node restarts with the resources it had (what etcd does for
/// the API server). Loading keeps what a create would assign anew (<c>uid</c>, <c>creationTimestamp</c>,
/// <c>generation</c>, status): a database's uid names the timeline it owns in its repository, so it must not change.
/// </summary>
public sealed partial class InMemoryResourceStore
{
    /// <summary>Every resource of every kind, and the namespaces with their labels.</summary>
    public (IReadOnlyList<Resource> Resources, IReadOnlyList<NamespaceInfo> Namespaces) Export()
    {
        var resources = new List<Resource>();
        foreach (var kind in _kinds.Values.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            lock (kind.Gate)
            {
                resources.AddRange(kind.Current.OrderBy(c => c.Key).Select(c => kind.Type.FromJson(c.Value.Json)));
            }
        }

        lock (_namespacesGate)
        {
            return (resources, [.. _namespaces.Values.OrderBy(n => n.Name, StringComparer.Ordinal)]);
        }
    }

    /// <summary>
    /// Loads resources exactly as exported, before anyone watches; an existing name is replaced. Each gets a new
    /// resourceVersion from this store's counter, so later writes get versions above every loaded one (a watcher's
    /// "seen up to" mark stays meaningful). Nothing is journaled: the journal's owner is loading what it keeps.
    /// </summary>
    public void Import(IEnumerable<Resource> resources, IEnumerable<NamespaceInfo> namespaces)
    {
        lock (_namespacesGate)
        {
            foreach (var ns in namespaces) _namespaces[ns.Name] = ns;
        }

        List<(Kind Kind, ResourceId Id, Stored Stored)> owned = [];
        foreach (var resource in resources)
        {
            var kind = KindOf(ResourceKinds.Find(resource.GetType()) ?? throw new ArgumentException($"{resource.GetType().Name} is not a resource kind"));
            var id = ResourceId.Of(resource);
            var node = ManifestWriter.ToJsonNode(resource);
            node["metadata"]!["resourceVersion"] = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
            EnsureNamespace(id.Namespace);
            var stored = StoredOf(node.ToJsonString(), node);
            lock (kind.Gate)
            {
                kind.Put(id, stored);
            }

            if (stored.Owners.Length > 0) owned.Add((kind, id, stored));
        }

        // As the garbage collector does when it starts: what lost its owners while the node was down goes now.
        foreach (var (kind, id, stored) in owned) CollectIfOrphaned(kind, id, stored);
    }
}
