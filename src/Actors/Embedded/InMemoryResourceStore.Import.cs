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
        lock (_gate)
        {
            var resources = _kinds.OrderBy(k => k.Key, StringComparer.Ordinal)
                .SelectMany(k => k.Value.Ids.Order().Select(id => (Kind: k.Key, Id: id)))
                .Select(o => _kinds[o.Kind].TryGet(o.Id, out var stored) ? ResourceKinds.Find(o.Kind)!.FromJson(stored.Json) : null)
                .OfType<Resource>().ToList();
            return (resources, [.. _namespaces.Values.OrderBy(n => n.Name, StringComparer.Ordinal)]);
        }
    }

    /// <summary>Loads resources exactly as exported, before anyone watches; an existing name is replaced.</summary>
    public void Import(IEnumerable<Resource> resources, IEnumerable<NamespaceInfo> namespaces)
    {
        lock (_gate)
        {
            foreach (var ns in namespaces) _namespaces[ns.Name] = ns;
            foreach (var resource in resources)
            {
                var kind = ResourceKinds.Find(resource.GetType())?.Kind ?? throw new ArgumentException($"{resource.GetType().Name} is not a resource kind");
                var id = ResourceId.Of(resource);
                var node = ManifestWriter.ToJsonNode(resource);
                node["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
                EnsureNamespace(id.Namespace);
                Table(kind).Put(id, new Stored(node.ToJsonString(), LabelsOf(node)));
            }
        }
    }
}
