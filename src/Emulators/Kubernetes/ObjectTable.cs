using System.Globalization;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The emulated API server's storage and write rules, after the Kubernetes API conventions: every write gets a new
/// <c>resourceVersion</c> from one counter (so versions order all changes), a write carrying a stale one or a create
/// of an existing name is a 409, <c>metadata.generation</c> rises on spec changes only, the main resource ignores
/// <c>status</c> and the status subresource ignores everything else (for kinds that have one), a write that changes
/// nothing is not a change, and deleting an object with finalizers only sets <c>deletionTimestamp</c> until they are
/// removed. Callers hold <see cref="Sync"/> across a read-modify-write (it is re-entrant).
/// </summary>
internal sealed class ObjectTable(TimeProvider clock, int historyLimit)
{
    private readonly Dictionary<ObjectKey, JsonObject> _objects = [];
    private readonly List<WatchEvent> _history = [];
    private TaskCompletionSource _changed = NewSignal();
    private long _version;
    private long _oldestWatchable;

    public Lock Sync { get; } = new();

    /// <summary>The newest resourceVersion; a list is consistent at it.</summary>
    public long Version => _version;

    /// <summary>Completes at the next change (read it under <see cref="Sync"/>, wait outside).</summary>
    public Task Changed => _changed.Task;

    /// <summary>Every stored object by its key, for the controllers (garbage collector, namespaces); under <see cref="Sync"/>.</summary>
    public IReadOnlyDictionary<ObjectKey, JsonObject> Objects => _objects;

    public JsonObject Get(ResourcePath path)
    {
        lock (Sync)
        {
            return (JsonObject)Find(path).DeepClone();
        }
    }

    public JsonObject? TryGet(ObjectKey key)
    {
        lock (Sync)
        {
            return _objects.TryGetValue(key, out var found) ? (JsonObject)found.DeepClone() : null;
        }
    }

    public List<JsonObject> List(ResourcePath path, Func<JsonObject, bool> filter)
    {
        lock (Sync)
        {
            return [.. _objects.Where(o => o.Key.Group == path.Group && o.Key.Plural == path.Plural && (path.Namespace is null || o.Key.Namespace == path.Namespace))
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => o.Value).Where(filter).Select(o => (JsonObject)o.DeepClone())];
        }
    }

    /// <summary>The changes after <paramref name="since"/> that match; 410 when they are no longer kept.</summary>
    public List<WatchEvent> EventsAfter(ResourcePath path, Func<JsonObject, bool> filter, long since)
    {
        if (since < _oldestWatchable) throw ApiError.Gone($"too old resource version: {since} ({_oldestWatchable})");
        return [.. _history.Where(e => e.ResourceVersion > since && e.Key.Group == path.Group && e.Key.Plural == path.Plural
            && (path.Namespace is null || e.Key.Namespace == path.Namespace) && filter(e.Object))];
    }

    public JsonObject Create(ResourceType type, ResourcePath path, JsonObject body, bool dryRun = false)
    {
        lock (Sync)
        {
            var metadata = body["metadata"] as JsonObject ?? throw ApiError.Invalid(type.QualifiedKind, "", "metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
            var name = Text(metadata["name"]);
            if (name.Length == 0 && Text(metadata["generateName"]) is { Length: > 0 } prefix)
            {
                // The API server appends five random characters (apiserver pkg/storage/names/generate.go).
                name = prefix + Guid.NewGuid().ToString("N")[..5];
            }

            if (name.Length == 0) throw ApiError.Invalid(type.QualifiedKind, "", "metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
            Names.CheckName(type, name);
            if (Text(metadata["resourceVersion"]).Length > 0) throw ApiError.BadRequest("resourceVersion should not be set on objects to be created");
            var ns = path.Namespace ?? "";
            if (Text(metadata["namespace"]) is { Length: > 0 } given && given != ns)
            {
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            if (ns.Length > 0)
            {
                var owner = _objects.GetValueOrDefault(new ObjectKey("", "namespaces", "", ns)) ?? throw ApiError.NotFound("", "namespaces", ns);
                if (owner["metadata"]?["deletionTimestamp"] is not null)
                {
                    throw new ApiError(403, "Forbidden", $"{type.Qualified} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                        new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Plural, ["causes"] = new JsonArray(new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = $"namespace {ns} is being terminated", ["field"] = "metadata.namespace" }) });
                }
            }

            var key = new ObjectKey(path.Group, path.Plural, ns, name);
            if (_objects.ContainsKey(key)) throw ApiError.AlreadyExists(type.Group, type.Plural, name);
            var created = (JsonObject)body.DeepClone();
            Defaults.PruneNulls(created);
            created["apiVersion"] = type.ApiVersion;
            created["kind"] = type.Kind;
            var meta = created["metadata"]!.AsObject();
            meta["name"] = name;
            if (ns.Length > 0) meta["namespace"] = ns;
            else meta.Remove("namespace");
            meta["uid"] = Guid.NewGuid().ToString();
            meta["generation"] = 1;
            meta["creationTimestamp"] = Now();
            meta.Remove("deletionTimestamp");
            meta.Remove("deletionGracePeriodSeconds");
            // Status is the controllers' (and for custom resources the status subresource's): a create drops it.
            if (type.HasStatus) created.Remove("status");
            Defaults.Apply(type, created, creating: true, _version + 1);
            SchemaValidation.Check(type, name, created, null);
            if (dryRun) return created;
            return Store(key, created, "ADDED");
        }
    }

    /// <summary>
    /// A PUT (or a patch's result). Custom resources, unlike built-in kinds, refuse an unconditional one (no
    /// resourceVersion) with 422, as the API server does; a patch is unconditional by nature. A body naming another
    /// object's uid is refused with 409.
    /// </summary>
    public JsonObject Replace(ResourceType type, ResourcePath path, JsonObject body, bool patched = false, bool dryRun = false)
    {
        lock (Sync)
        {
            var current = Find(path);
            if (Text(body["metadata"]?["name"]) is { Length: > 0 } bodyName && bodyName != path.Name)
            {
                throw ApiError.BadRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + path.Name + ")");
            }

            // An object naming a uid is a precondition, checked before the version: another uid (the object was deleted
            // and created again under its name) is a 409, as the API server's storage refuses it (kubernetes/apiserver
            // pkg/registry/rest/update.go Preconditions, pkg/storage/etcd3/store.go checkPreconditions).
            if (Text(body["metadata"]?["uid"]) is { Length: > 0 } uid && uid != Text(current["metadata"]?["uid"]))
            {
                // The storage layer's words, as the API server passes them on (pkg/storage/errors/storage.go InterpretUpdateError).
                var storageKey = $"/registry/{(type.Group.Length == 0 ? "" : type.Group + "/")}{type.Plural}/{(path.Namespace is { Length: > 0 } ns ? ns + "/" : "")}{path.Name}";
                throw ApiError.Conflict(type.Group, type.Plural, path.Name!,
                    $"StorageError: invalid object, Code: 4, Key: {storageKey}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {uid}, UID in object meta: {Text(current["metadata"]?["uid"])}");
            }

            if (!patched && type.IsCustom && Text(body["metadata"]?["resourceVersion"]).Length == 0)
            {
                throw ApiError.Invalid(type.Qualified, path.Name!, "metadata.resourceVersion", "FieldValueInvalid", "Invalid value: 0: must be specified for an update");
            }

            CheckVersion(type, path, current, body);
            JsonObject next;
            if (path.Status)
            {
                next = (JsonObject)current.DeepClone();
                next["status"] = body["status"]?.DeepClone();
                Defaults.PruneNulls(next);
            }
            else
            {
                next = (JsonObject)body.DeepClone();
                Defaults.PruneNulls(next);
                next["apiVersion"] = type.ApiVersion;
                next["kind"] = type.Kind;
                next["metadata"] ??= new JsonObject();
                if (type.HasStatus && current["status"] is { } status) next["status"] = status.DeepClone();
                else if (type.HasStatus) next.Remove("status");
                var meta = next["metadata"]!.AsObject();
                var currentMeta = current["metadata"]!.AsObject();
                foreach (var kept in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
                {
                    if (currentMeta[kept] is { } value) meta[kept] = value.DeepClone();
                    else meta.Remove(kept);
                }

                if (currentMeta["deletionTimestamp"] is not null)
                {
                    var before = Strings(currentMeta["finalizers"]);
                    var added = Strings(meta["finalizers"]).Except(before).ToList();
                    if (added.Count > 0)
                    {
                        throw ApiError.Invalid(type.QualifiedKind, path.Name!, "metadata.finalizers", "FieldValueForbidden",
                            $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}");
                    }
                }

                Immutability.Check(type, path.Name!, current, next);
                if (!JsonNode.DeepEquals(current["spec"], next["spec"]))
                {
                    meta["generation"] = LongOf(currentMeta["generation"]) + 1;
                }

                Defaults.Apply(type, next, creating: false, _version + 1);
            }

            SchemaValidation.Check(type, path.Name!, next, current);
            next["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]?.DeepClone();
            if (JsonNode.DeepEquals(current, next) || dryRun) return (JsonObject)next.DeepClone();
            var key = KeyOf(path);
            if (next["metadata"]!["deletionTimestamp"] is not null && next["metadata"]!["finalizers"] is not JsonArray { Count: > 0 })
            {
                // The last finalizer removed from an object being deleted completes its deletion.
                _objects.Remove(key);
                return Record(key, next, "DELETED");
            }

            return Store(key, next, "MODIFIED");
        }
    }

    /// <summary>
    /// A DELETE: at once, or with finalizers a <c>deletionTimestamp</c> until they go. Foreground and Orphan
    /// propagation add the <c>foregroundDeletion</c>/<c>orphan</c> finalizers the garbage collector acts on.
    /// </summary>
    public JsonObject Delete(ResourceType type, ResourcePath path, DeleteOptions options)
    {
        lock (Sync)
        {
            var current = Find(path);
            var meta = current["metadata"]!.AsObject();
            if (options.Uid is { } uid && uid != Text(meta["uid"]))
            {
                throw ApiError.Conflict(type.Group, type.Plural, path.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Text(meta["uid"])}");
            }

            if (options.ResourceVersion is { } version && version != Text(meta["resourceVersion"]))
            {
                throw ApiError.Conflict(type.Group, type.Plural, path.Name!, $"Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in object meta: {Text(meta["resourceVersion"])}");
            }

            var finalizers = Strings(meta["finalizers"]);
            var propagation = options.Propagation switch
            {
                "Foreground" => "foregroundDeletion",
                "Orphan" => "orphan",
                _ => null,
            };
            if (propagation is not null && !finalizers.Contains(propagation) && HasDependents(meta)) finalizers.Add(propagation);
            if (type.Plural == "namespaces" && type.Group.Length == 0)
            {
                // The namespace controller empties it first (Terminating); the collector removes it once empty.
                if (meta["deletionTimestamp"] is not null) return (JsonObject)current.DeepClone();
                var terminating = (JsonObject)current.DeepClone();
                terminating["metadata"]!["deletionTimestamp"] = Now();
                terminating["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                terminating["status"] = new JsonObject { ["phase"] = "Terminating" };
                return options.DryRun ? terminating : Store(KeyOf(path), terminating, "MODIFIED");
            }

            if (finalizers.Count > 0)
            {
                if (meta["deletionTimestamp"] is not null && Strings(meta["finalizers"]).Count == finalizers.Count) return (JsonObject)current.DeepClone();
                var marked = (JsonObject)current.DeepClone();
                marked["metadata"]!["deletionTimestamp"] ??= Now();
                marked["metadata"]!["deletionGracePeriodSeconds"] = 0;
                marked["metadata"]!["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)f)]);
                return options.DryRun ? marked : Store(KeyOf(path), marked, "MODIFIED");
            }

            if (options.DryRun) return (JsonObject)current.DeepClone();
            _objects.Remove(KeyOf(path));
            return Record(KeyOf(path), (JsonObject)current.DeepClone(), "DELETED");
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

    /// <summary>Writes an object as a controller does (no rules checked): the collector's edits and removals.</summary>
    public void Put(ObjectKey key, JsonObject? item)
    {
        lock (Sync)
        {
            if (item is null)
            {
                if (_objects.Remove(key, out var gone)) Record(key, (JsonObject)gone.DeepClone(), "DELETED");
                return;
            }

            Store(key, item, "MODIFIED");
        }
    }

    private bool HasDependents(JsonObject meta)
    {
        var uid = Text(meta["uid"]);
        return _objects.Values.Any(o => (o["metadata"]?["ownerReferences"] as JsonArray ?? []).Any(r => Text(r?["uid"]) == uid));
    }

    private JsonObject Find(ResourcePath path) =>
        _objects.TryGetValue(KeyOf(path), out var found) ? found : throw ApiError.NotFound(path.Group, path.Plural, path.Name ?? "");

    private static ObjectKey KeyOf(ResourcePath path) => new(path.Group, path.Plural, path.Namespace ?? "", path.Name ?? "");

    private static void CheckVersion(ResourceType type, ResourcePath path, JsonObject current, JsonObject body)
    {
        var given = Text(body["metadata"]?["resourceVersion"]);
        if (given.Length > 0 && given != Text(current["metadata"]!["resourceVersion"]))
        {
            throw ApiError.Conflict(type.Group, type.Plural, path.Name!);
        }
    }

    private JsonObject Store(ObjectKey key, JsonObject item, string type)
    {
        _objects[key] = item;
        return Record(key, item, type);
    }

    private JsonObject Record(ObjectKey key, JsonObject item, string type)
    {
        item["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
        _history.Add(new WatchEvent(_version, type, key, (JsonObject)item.DeepClone()));
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

    internal static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    internal static List<string> Strings(JsonNode? node) => [.. (node as JsonArray ?? []).Select(Text)];

    // Numbers parsed from a request and numbers set here are different node types; their text is the same.
    private static long LongOf(JsonNode? node) => node is null ? 0 : long.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    public string Now() => clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Where one object is stored: kind, namespace (empty for cluster-scoped kinds) and name.</summary>
internal sealed record ObjectKey(string Group, string Plural, string Namespace, string Name);

/// <summary>One change, as a watch reports it.</summary>
internal sealed record WatchEvent(long ResourceVersion, string Type, ObjectKey Key, JsonObject Object);

/// <summary>A DELETE's options, from its query and its DeleteOptions body.</summary>
internal sealed record DeleteOptions(string? Propagation, string? Uid, string? ResourceVersion, bool DryRun);
