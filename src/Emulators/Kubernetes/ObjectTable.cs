using System.Globalization;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The emulated API server's storage and write rules, after the Kubernetes API conventions: every write gets a new
/// <c>resourceVersion</c> from one counter (so versions order all changes), a write carrying a stale one or another
/// object's <c>uid</c> or a create of an existing name is a 409, <c>metadata.generation</c> rises on spec changes
/// only, the main resource ignores <c>status</c> and the status subresource ignores everything else, a write that
/// changes nothing is not a change, and deleting an object with finalizers only sets <c>deletionTimestamp</c> until
/// they are removed. A garbage collector stands in for kube-controller-manager's: an object whose owners are all
/// gone is deleted in the background.
/// </summary>
internal sealed class ObjectTable(TimeProvider clock, int historyLimit)
{
    private readonly Dictionary<(string Group, string Plural, string Namespace, string Name), JsonObject> _objects = [];
    private readonly List<WatchEvent> _history = [];
    private TaskCompletionSource _changed = NewSignal();
    private long _version;
    private long _oldestWatchable;

    public Lock Sync { get; } = new();

    /// <summary>The newest resourceVersion; a list is consistent at it.</summary>
    public long Version => _version;

    /// <summary>Completes at the next change (read it under <see cref="Sync"/>, wait outside).</summary>
    public Task Changed => _changed.Task;

    public JsonObject Get(ResourcePath path)
    {
        lock (Sync)
        {
            return (JsonObject)Find(path).DeepClone();
        }
    }

    public List<JsonObject> List(ResourcePath path, LabelSelector selector)
    {
        lock (Sync)
        {
            return [.. _objects.Where(o => o.Key.Group == path.Group && o.Key.Plural == path.Plural && (path.Namespace is null || o.Key.Namespace == path.Namespace))
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => o.Value).Where(selector.Matches).Select(o => (JsonObject)o.DeepClone())];
        }
    }

    /// <summary>The changes after <paramref name="since"/> that match; 410 when they are no longer kept.</summary>
    public List<WatchEvent> EventsAfter(ResourcePath path, LabelSelector selector, long since)
    {
        if (since < _oldestWatchable) throw ApiError.Gone($"too old resource version: {since} ({_oldestWatchable})");
        return [.. _history.Where(e => e.ResourceVersion > since && e.Group == path.Group && e.Plural == path.Plural
            && (path.Namespace is null || e.Namespace == path.Namespace) && selector.Matches(e.Object))];
    }

    public JsonObject Create(ResourcePath path, JsonObject body)
    {
        lock (Sync)
        {
            var metadata = body["metadata"] as JsonObject ?? throw ApiError.Invalid("metadata is required");
            var name = metadata["name"]?.GetValue<string>() is { Length: > 0 } n ? n : throw ApiError.Invalid("metadata.name: Required value");
            if (metadata["resourceVersion"]?.GetValue<string>() is { Length: > 0 }) throw ApiError.Invalid("metadata.resourceVersion: Invalid value: resourceVersion should not be set on objects to be created");
            var ns = path.Namespace ?? "";
            if (ns.Length > 0 && !_objects.ContainsKey(("", "namespaces", "", ns))) throw ApiError.NotFound($"namespaces \"{ns}\"");
            var key = (path.Group, path.Plural, ns, name);
            if (_objects.ContainsKey(key)) throw ApiError.AlreadyExists($"{path.Plural}.{path.Group} \"{name}\"");
            var created = (JsonObject)body.DeepClone();
            var meta = created["metadata"]!.AsObject();
            if (ns.Length > 0) meta["namespace"] = ns;
            meta["uid"] = Guid.NewGuid().ToString();
            meta["generation"] = 1;
            meta["creationTimestamp"] = Now();
            meta.Remove("deletionTimestamp");
            var stored = Store(key, created, "ADDED");
            CollectIfOrphaned(created);
            return stored;
        }
    }

    /// <summary>
    /// A PUT. Custom resources, unlike built-in kinds, refuse an unconditional one (no resourceVersion) with 422, as
    /// the API server does; a patch is unconditional by nature. An object naming a uid is a precondition: another
    /// uid (the object was deleted and created again under its name) is a 409, checked first, as the API server's
    /// storage does before it runs the update (kubernetes/apiserver <c>pkg/registry/rest/update.go</c>
    /// <c>Preconditions</c>, <c>pkg/registry/generic/registry/store.go</c> Update).
    /// </summary>
    public JsonObject Replace(ResourcePath path, JsonObject body, bool patched = false)
    {
        lock (Sync)
        {
            var current = Find(path);
            CheckUid(path, current, body);
            if (!patched && IsCustom(path) && string.IsNullOrEmpty(body["metadata"]?["resourceVersion"]?.GetValue<string>()))
            {
                // The value is the version parsed from the object, a uint64 0, printed as JSON (kubernetes/apimachinery
                // pkg/util/validation/field/errors.go; older servers printed it with %#v, "0x0").
                throw ApiError.InvalidField(path.Plural, path.Group, path.Name ?? "", "metadata.resourceVersion", "0", "must be specified for an update");
            }

            CheckVersion(path, current, body);
            JsonObject next;
            if (path.Status)
            {
                next = (JsonObject)current.DeepClone();
                next["status"] = body["status"]?.DeepClone();
            }
            else
            {
                next = (JsonObject)body.DeepClone();
                next["metadata"] ??= new JsonObject();
                next["status"] = current["status"]?.DeepClone();
                var meta = next["metadata"]!.AsObject();
                var currentMeta = current["metadata"]!.AsObject();
                foreach (var kept in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "generation" })
                {
                    meta[kept] = currentMeta[kept]?.DeepClone();
                }

                if (!JsonNode.DeepEquals(current["spec"], next["spec"]))
                {
                    meta["generation"] = LongOf(currentMeta["generation"]) + 1;
                }
            }

            next["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]?.DeepClone();
            if (JsonNode.DeepEquals(current, next)) return (JsonObject)current.DeepClone();
            var key = KeyOf(path);
            if (next["metadata"]!["deletionTimestamp"] is not null && next["metadata"]!["finalizers"] is not JsonArray { Count: > 0 })
            {
                // The last finalizer removed from an object being deleted completes its deletion.
                _objects.Remove(key);
                var gone = Record(key, next, "DELETED");
                CollectDependents(gone);
                return gone;
            }

            var stored = Store(key, next, "MODIFIED");
            CollectIfOrphaned(next);
            return stored;
        }
    }

    /// <summary>A JSON merge patch (RFC 7386); strategic merge patches are taken as merge patches.</summary>
    public JsonObject Patch(ResourcePath path, JsonObject patch)
    {
        lock (Sync)
        {
            var merged = (JsonObject)MergePatch(Find(path).DeepClone(), patch)!;
            if (patch["metadata"]?["resourceVersion"] is null) merged["metadata"]!.AsObject().Remove("resourceVersion");
            return Replace(path, merged, patched: true);
        }
    }

    public JsonObject Delete(ResourcePath path)
    {
        lock (Sync)
        {
            var current = Find(path);
            var meta = current["metadata"]!.AsObject();
            if (meta["finalizers"] is JsonArray { Count: > 0 })
            {
                if (meta["deletionTimestamp"] is not null) return (JsonObject)current.DeepClone();
                var marked = (JsonObject)current.DeepClone();
                marked["metadata"]!["deletionTimestamp"] = Now();
                return Store(KeyOf(path), marked, "MODIFIED");
            }

            _objects.Remove(KeyOf(path));
            var gone = Record(KeyOf(path), (JsonObject)current.DeepClone(), "DELETED");
            CollectDependents(gone);
            return gone;
        }
    }

    /// <summary>Forgets the change history: a watch from an older resourceVersion now gets 410 Gone.</summary>
    public void Compact()
    {
        lock (Sync)
        {
            _history.Clear();
            _oldestWatchable = _version;
        }
    }

    private JsonObject Find(ResourcePath path) =>
        _objects.TryGetValue(KeyOf(path), out var found) ? found : throw ApiError.NotFound($"{path.Plural}.{path.Group} \"{path.Name}\"");

    // Built-in groups are the core group, unqualified ones (apps, batch) and *.k8s.io; the rest come from CRDs.
    private static bool IsCustom(ResourcePath path) =>
        path.Group.Contains('.', StringComparison.Ordinal) && !path.Group.EndsWith(".k8s.io", StringComparison.Ordinal);

    private static (string, string, string, string) KeyOf(ResourcePath path) => (path.Group, path.Plural, path.Namespace ?? "", path.Name ?? "");

    private static void CheckUid(ResourcePath path, JsonObject current, JsonObject body)
    {
        var given = body["metadata"]?["uid"]?.GetValue<string>();
        var actual = current["metadata"]?["uid"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(given) && given != actual)
        {
            var what = IsCustom(path) ? $"{path.Plural}.{path.Group} \"{path.Name}\"" : $"{path.Plural} \"{path.Name}\"";
            var key = IsCustom(path) ? $"/registry/{path.Group}/{path.Plural}/{path.Namespace}/{path.Name}" : $"/registry/{path.Plural}/{path.Namespace}/{path.Name}";
            throw ApiError.PreconditionFailed(what, key, given, actual);
        }
    }

    private static void CheckVersion(ResourcePath path, JsonObject current, JsonObject body)
    {
        var given = body["metadata"]?["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(given) && given != current["metadata"]!["resourceVersion"]?.GetValue<string>())
        {
            throw ApiError.Conflict($"{path.Plural}.{path.Group} \"{path.Name}\"");
        }
    }

    private JsonObject Store((string, string, string, string) key, JsonObject item, string type)
    {
        _objects[key] = item;
        return Record(key, item, type);
    }

    private JsonObject Record((string Group, string Plural, string Namespace, string Name) key, JsonObject item, string type)
    {
        item["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
        _history.Add(new WatchEvent(_version, type, key.Group, key.Plural, key.Namespace, (JsonObject)item.DeepClone()));
        if (_history.Count > historyLimit)
        {
            _oldestWatchable = _history[0].ResourceVersion;
            _history.RemoveAt(0);
        }

        var changed = _changed;
        _changed = NewSignal();
        changed.SetResult();
        return (JsonObject)item.DeepClone();
    }

    /// <summary>
    /// After an object is gone, its dependents (objects whose <c>ownerReferences</c> name its uid) are looked at in the
    /// background, as kube-controller-manager's garbage collector does after the DELETE returned (background
    /// propagation, the default): one with no owner left is deleted (finalizers only mark it), one with another owner
    /// left loses the dangling reference.
    /// </summary>
    private void CollectDependents(JsonObject gone)
    {
        if (gone["metadata"]?["uid"]?.GetValue<string>() is { Length: > 0 } uid) _ = Task.Run(() => Collect(uid));
    }

    /// <summary>An object written naming an owner that does not exist is collected too, as the collector's graph finds it.</summary>
    private void CollectIfOrphaned(JsonObject written)
    {
        foreach (var owner in OwnerUids(written).Where(o => !UidExists(o))) _ = Task.Run(() => Collect(owner));
    }

    private void Collect(string ownerUid)
    {
        lock (Sync)
        {
            foreach (var (key, dependent) in _objects.Where(o => OwnerUids(o.Value).Contains(ownerUid)).ToList())
            {
                var references = dependent["metadata"]!["ownerReferences"]!.AsArray();
                var solid = references.Where(r => r?["uid"]?.GetValue<string>() is { } uid && UidExists(uid)).Select(r => r!.DeepClone()).ToList();
                var path = new ResourcePath(key.Group, "", key.Plural, key.Namespace, key.Name, false);
                if (solid.Count == 0)
                {
                    Delete(path);
                    continue;
                }

                var kept = (JsonObject)dependent.DeepClone();
                kept["metadata"]!["ownerReferences"] = new JsonArray([.. solid]);
                Store(key, kept, "MODIFIED");
            }
        }
    }

    private bool UidExists(string uid) => _objects.Values.Any(o => o["metadata"]?["uid"]?.GetValue<string>() == uid);

    private static IEnumerable<string> OwnerUids(JsonObject item) =>
        item["metadata"]?["ownerReferences"] is JsonArray references
            ? references.Select(r => r?["uid"]?.GetValue<string>()).OfType<string>()
            : [];

    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null) result.Remove(name);
            else result[name] = MergePatch(result[name]?.DeepClone(), value);
        }

        return result;
    }

    // Numbers parsed from a request and numbers set here are different node types; their text is the same.
    private static long LongOf(JsonNode? node) => node is null ? 0 : long.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private string Now() => clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One change, as a watch reports it.</summary>
internal sealed record WatchEvent(long ResourceVersion, string Type, string Group, string Plural, string Namespace, JsonObject Object);
