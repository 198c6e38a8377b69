using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Host.Api;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;

namespace Archiver.Host.Node;

/// <summary>
/// The embedded node's resources as its files hold them: <c>resources.json</c> (a snapshot: namespaces, every
/// resource, the archiving set) with the change log's lines (<see cref="ResourceChangeLog"/>) applied in order.
/// Each line is a whole state (an object, its deletion, a namespace, a database's archiving), so the last line of
/// a thing wins: replaying lines a snapshot already holds, in their order, ends where the log ends. That is what
/// lets <see cref="ResourceFile"/> write a snapshot while changes go on, and crash anywhere in between.
/// </summary>
internal sealed class SavedResources
{
    private readonly Dictionary<(string Kind, ResourceId Id), JsonObject> _items = [];
    private readonly Dictionary<string, NamespaceInfo> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<ResourceId, ArchivingSpec> _archiving = [];

    public int Count => _items.Count;

    /// <summary>What <paramref name="text"/>, a <c>resources.json</c> written by <see cref="Snapshot"/>, holds.</summary>
    public static SavedResources Parse(string text, string source)
    {
        var saved = new SavedResources();
        var root = JsonNode.Parse(text)!;
        foreach (var n in root["namespaces"]!.AsArray())
        {
            saved.PutNamespace(n!["name"]!.GetValue<string>(), n["labels"]?.AsObject());
        }

        foreach (var item in root["items"]!.AsArray())
        {
            var kind = item!["kind"]!.GetValue<string>();
            if (ResourceKinds.Find(kind) is null) throw new InvalidDataException($"{source}: unknown kind {kind}");
            var metadata = item["metadata"]!;
            saved._items[(kind, new ResourceId(metadata["namespace"]?.GetValue<string>() ?? "default", metadata["name"]!.GetValue<string>()))] = item.AsObject();
        }

        foreach (var entry in root["archiving"]?.AsArray() ?? [])
        {
            saved._archiving[ResourceId.Parse(entry!["database"]!.GetValue<string>())] = entry["spec"].Deserialize<ArchivingSpec>(ApiJson.Options)!;
        }

        return saved;
    }

    /// <summary>The whole state of a running node, as <c>resources.json</c> holds it.</summary>
    public static string Snapshot(InMemoryResourceStore store, InProcessWorkloads workloads)
    {
        var (resources, namespaces) = store.Export();
        var root = new JsonObject
        {
            ["namespaces"] = new JsonArray([.. namespaces.Select(n => (JsonNode)new JsonObject
            {
                ["name"] = n.Name,
                ["labels"] = new JsonObject(n.Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
            })]),
            ["items"] = new JsonArray([.. resources.Select(r => (JsonNode)ManifestWriter.ToJsonNode(r))]),
            ["archiving"] = new JsonArray([.. workloads.Archiving.OrderBy(a => a.Key).Select(a => (JsonNode)new JsonObject
            {
                ["database"] = a.Key.ToString(),
                ["spec"] = JsonSerializer.SerializeToNode(a.Value, ApiJson.Options),
            })]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Applies one line of the change log.</summary>
    public void Apply(JsonObject line, string source)
    {
        switch (line[ResourceChangeLog.Op]?.GetValue<string>())
        {
            case ResourceChangeLog.PutOp:
                var (kind, id) = KeyOf(line, source);
                var item = line["object"]!.AsObject();
                line.Remove("object");
                _items[(kind, id)] = item;
                // A create makes its namespace (the store's EnsureNamespace), which outlives the object.
                if (!_namespaces.ContainsKey(id.Namespace)) PutNamespace(id.Namespace, null);
                break;
            case ResourceChangeLog.DeleteOp:
                _items.Remove(KeyOf(line, source));
                break;
            case ResourceChangeLog.NamespaceOp:
                PutNamespace(line["name"]!.GetValue<string>(), line["labels"]?.AsObject());
                break;
            case ResourceChangeLog.ArchivingOp:
                var database = ResourceId.Parse(line["database"]!.GetValue<string>());
                if (line["spec"] is { } spec) _archiving[database] = spec.Deserialize<ArchivingSpec>(ApiJson.Options)!;
                else _archiving.Remove(database);
                break;
            case var other:
                throw new InvalidDataException($"{source}: a change of an unknown sort ({other ?? "none"})");
        }
    }

    /// <summary>Loads it all into a node's store and workloads, before anything watches them.</summary>
    public void LoadInto(InMemoryResourceStore store, InProcessWorkloads workloads)
    {
        // In the store's own order (kind, then id), as resources.json lists them, so versions are numbered alike.
        var resources = _items.OrderBy(i => i.Key.Kind, StringComparer.Ordinal).ThenBy(i => i.Key.Id)
            .Select(i => ResourceKinds.Find(i.Key.Kind)!.FromJson(i.Value.ToJsonString()))
            .ToList();
        store.Import(resources, _namespaces.Values);
        workloads.Import(_archiving);
    }

    private static (string Kind, ResourceId Id) KeyOf(JsonObject line, string source)
    {
        var kind = line["kind"]!.GetValue<string>();
        return ResourceKinds.Find(kind) is null
            ? throw new InvalidDataException($"{source}: unknown kind {kind}")
            : (kind, ResourceId.Parse(line["id"]!.GetValue<string>()));
    }

    private void PutNamespace(string name, JsonObject? labels) =>
        _namespaces[name] = new NamespaceInfo(name, labels?.ToDictionary(l => l.Key, l => l.Value!.GetValue<string>()) ?? []);
}
