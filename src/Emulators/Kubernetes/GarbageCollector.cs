using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The controllers a stand-in must run for deletion to mean what it means on a cluster: the garbage collector of
/// kube-controller-manager (kubernetes/kubernetes <c>pkg/controller/garbagecollector</c>) and the namespace
/// controller. Run after every write, synchronously, until nothing changes, so a client sees their effect as soon as
/// its request returns (a real cluster gets there a moment later):
/// <list type="bullet">
/// <item>a dependent whose owners (by <c>ownerReferences[].uid</c>) are all gone is deleted in the background; one
/// with some owners left loses the references to the missing ones;</item>
/// <item>an owner deleted with <c>propagationPolicy=Foreground</c> (finalizer <c>foregroundDeletion</c>) has its
/// dependents deleted the same way, and goes once no dependent with <c>blockOwnerDeletion</c> is left;</item>
/// <item>an owner deleted with <c>propagationPolicy=Orphan</c> (finalizer <c>orphan</c>) has the references to it
/// removed from its dependents, then goes;</item>
/// <item>a Terminating namespace has everything in it deleted, and goes once it is empty;</item>
/// <item>a deleted CustomResourceDefinition takes its custom resources with it.</item>
/// </list>
/// </summary>
internal sealed class GarbageCollector(ObjectTable table, ApiResources resources)
{
    private bool _collecting;

    public void Collect()
    {
        lock (table.Sync)
        {
            if (_collecting) return;
            _collecting = true;
            try
            {
                for (var round = 0; round < 100 && Sweep(); round++)
                {
                    // Each sweep can free more (a dependent's dependents); stop when one changes nothing.
                }
            }
            finally
            {
                _collecting = false;
            }
        }
    }

    private bool Sweep()
    {
        var objects = table.Objects.ToList();
        var byUid = objects.ToDictionary(o => ObjectTable.Text(o.Value["metadata"]?["uid"]), o => o.Key);
        var dependentsOf = objects.SelectMany(o => References(o.Value).Select(r => (Owner: ObjectTable.Text(r["uid"]), Dependent: o)))
            .ToLookup(p => p.Owner, p => p.Dependent);

        // A deleted CRD takes its custom resources with it (apiextensions-apiserver's customresourcecleanup finalizer).
        var served = resources.All().Select(t => (t.Group, t.Plural)).ToHashSet();
        if (objects.FirstOrDefault(o => !served.Contains((o.Key.Group, o.Key.Plural))) is { Key: not null } unserved)
        {
            table.Put(unserved.Key, null);
            return true;
        }

        foreach (var (key, item) in objects)
        {
            var meta = item["metadata"]!.AsObject();
            var uid = ObjectTable.Text(meta["uid"]);
            var deleting = meta["deletionTimestamp"] is not null;
            var finalizers = ObjectTable.Strings(meta["finalizers"]);
            var dependents = dependentsOf[uid].ToList();

            if (deleting && finalizers.Contains("orphan"))
            {
                foreach (var (dependentKey, dependent) in dependents) Edit(dependentKey, dependent, d => DropReferences(d, uid));
                Edit(key, item, o => RemoveFinalizer(o, "orphan"));
                return true;
            }

            if (deleting && finalizers.Contains("foregroundDeletion"))
            {
                foreach (var (dependentKey, dependent) in dependents.Where(d => d.Value["metadata"]?["deletionTimestamp"] is null))
                {
                    Delete(dependentKey, "Foreground");
                    return true;
                }

                if (!dependents.Any(d => References(d.Value).Any(r => ObjectTable.Text(r["uid"]) == uid && r["blockOwnerDeletion"]?.GetValue<bool>() == true)))
                {
                    Edit(key, item, o => RemoveFinalizer(o, "foregroundDeletion"));
                    return true;
                }
            }

            var references = References(item).ToList();
            if (references.Count > 0 && !deleting)
            {
                var missing = references.Where(r => !byUid.ContainsKey(ObjectTable.Text(r["uid"]))).ToList();
                if (missing.Count == references.Count)
                {
                    Delete(key, "Background");
                    return true;
                }

                if (missing.Count > 0)
                {
                    Edit(key, item, o => { foreach (var r in missing) DropReferences(o, ObjectTable.Text(r["uid"])); });
                    return true;
                }
            }

            if (key is { Group: "", Plural: "namespaces" } && deleting)
            {
                var contents = objects.Where(o => o.Key.Namespace == key.Name).ToList();
                var undeleted = contents.FirstOrDefault(o => o.Value["metadata"]?["deletionTimestamp"] is null);
                if (undeleted.Key is not null)
                {
                    Delete(undeleted.Key, "Background");
                    return true;
                }

                if (contents.Count == 0)
                {
                    table.Put(key, null);
                    return true;
                }
            }
        }

        return false;
    }

    private void Delete(ObjectKey key, string propagation)
    {
        var type = resources.FindStored(key.Group, key.Plural);
        var path = new ResourcePath(key.Group, type?.Version ?? "v1", key.Plural, key.Namespace, key.Name, false);
        if (type is null)
        {
            table.Put(key, null); // a kind no longer served (its CRD deleted): nothing can hold it
            return;
        }

        table.Delete(type, path, new DeleteOptions(propagation, null, null, false));
    }

    private void Edit(ObjectKey key, JsonObject item, Action<JsonObject> change)
    {
        var next = (JsonObject)item.DeepClone();
        change(next);
        var meta = next["metadata"]!.AsObject();
        if (meta["deletionTimestamp"] is not null && meta["finalizers"] is not JsonArray { Count: > 0 }) table.Put(key, null);
        else table.Put(key, next);
    }

    private static IEnumerable<JsonObject> References(JsonObject item) => (item["metadata"]?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>();

    private static void DropReferences(JsonObject item, string uid)
    {
        var meta = item["metadata"]!.AsObject();
        var kept = References(item).Where(r => ObjectTable.Text(r["uid"]) != uid).Select(r => (JsonNode)r.DeepClone()).ToList();
        if (kept.Count == 0) meta.Remove("ownerReferences");
        else meta["ownerReferences"] = new JsonArray([.. kept]);
    }

    private static void RemoveFinalizer(JsonObject item, string finalizer)
    {
        var meta = item["metadata"]!.AsObject();
        var kept = ObjectTable.Strings(meta["finalizers"]).Where(f => f != finalizer).Select(f => (JsonNode)f).ToList();
        if (kept.Count == 0) meta.Remove("finalizers");
        else meta["finalizers"] = new JsonArray([.. kept]);
    }
}
