using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The strategic merge patch of built-in kinds, applied as kubernetes/apimachinery
/// <c>pkg/util/strategicpatch/patch.go</c> applies it: maps merge, <c>null</c> deletes, and the lists the Go types tag
/// with a patch merge key merge element by element (containers by name, container ports by containerPort, volume
/// mounts by mountPath, ...), honouring the directives kubectl's three-way patches carry: <c>$patch</c>
/// (replace, delete, merge), <c>$retainKeys</c>, <c>$setElementOrder/field</c> and <c>$deleteFromPrimitiveList/field</c>.
/// The merge keys are those of the kinds the emulator serves (<see cref="MergeKey"/>); every other list is replaced
/// whole, as an atomic list is.
/// </summary>
internal static class StrategicMergePatch
{
    private const string Directive = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    public static JsonObject Apply(string kind, JsonObject original, JsonObject patch) =>
        MergeMap(kind, [], (JsonObject)original.DeepClone(), patch);

    /// <summary>
    /// The patch merge key of a list field, by where it is: <c>name</c> for a pod's containers, volumes, env and pull
    /// secrets, <c>containerPort</c> for a container's ports, <c>port</c> for a Service's, <c>type</c> for conditions,
    /// and so on (the <c>patchMergeKey</c> tags of k8s.io/api core/v1, apps/v1, batch/v1, admissionregistration/v1).
    /// "" marks a list of scalars merged as a set (finalizers); null an atomic list.
    /// </summary>
    public static string? MergeKey(string kind, IReadOnlyList<string> path, string field)
    {
        var parent = path.Count > 0 ? path[^1] : "";
        var inPodSpec = parent == "spec" && (kind == "Pod" ? path.Count == 1 : path.Count >= 2 && path[^2] == "template");
        var inContainer = parent is "containers" or "initContainers" or "ephemeralContainers";
        return field switch
        {
            "containers" or "initContainers" or "ephemeralContainers" or "volumes" or "imagePullSecrets" or "resourceClaims" or "schedulingGates" when inPodSpec => "name",
            "hostAliases" when inPodSpec => "ip",
            "topologySpreadConstraints" when inPodSpec => "topologyKey",
            "env" when inContainer => "name",
            "ports" when inContainer => "containerPort",
            "volumeMounts" when inContainer => "mountPath",
            "volumeDevices" when inContainer => "devicePath",
            "ports" when kind == "Service" && path is ["spec"] => "port",
            "conditions" when parent == "status" => "type",
            "ownerReferences" when path is ["metadata"] => "uid",
            "finalizers" when path is ["metadata"] => "",
            "secrets" when kind == "ServiceAccount" && path.Count == 0 => "name",
            "webhooks" when kind is "MutatingWebhookConfiguration" or "ValidatingWebhookConfiguration" && path.Count == 0 => "name",
            _ => null,
        };
    }

    private static JsonObject MergeMap(string kind, List<string> path, JsonObject original, JsonObject patch)
    {
        switch (ObjectTable.Text(patch[Directive]))
        {
            case "replace":
                var replaced = (JsonObject)patch.DeepClone();
                replaced.Remove(Directive);
                return replaced;
            case "delete":
                return [];
        }

        if (patch[RetainKeys] is JsonArray retain)
        {
            var keep = retain.Select(ObjectTable.Text).ToHashSet(StringComparer.Ordinal);
            foreach (var name in original.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList()) original.Remove(name);
        }

        var orders = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var (name, value) in patch)
        {
            if (name is Directive or RetainKeys) continue;
            if (name.StartsWith(SetElementOrder, StringComparison.Ordinal))
            {
                if (value is JsonArray order) orders[name[SetElementOrder.Length..]] = order;
                continue;
            }

            if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var field = name[DeleteFromPrimitiveList.Length..];
                if (original[field] is JsonArray list && value is JsonArray gone)
                {
                    foreach (var item in list.Where(i => gone.Any(g => JsonNode.DeepEquals(g, i))).ToList()) list.Remove(item);
                }

                continue;
            }

            if (value is null)
            {
                original.Remove(name);
                continue;
            }

            var childPath = new List<string>(path) { name };
            original[name] = (original[name], value) switch
            {
                (JsonObject o, JsonObject p) => MergeMap(kind, childPath, (JsonObject)o.DeepClone(), p),
                (_, JsonObject p) => MergeMap(kind, childPath, [], p),
                (JsonArray o, JsonArray p) when MergeKey(kind, path, name) is { } key => MergeList(kind, childPath, key, (JsonArray)o.DeepClone(), p),
                (_, JsonArray p) when MergeKey(kind, path, name) is { } => MergeList(kind, childPath, MergeKey(kind, path, name)!, [], p),
                _ => Clean(value),
            };
        }

        foreach (var (field, order) in orders)
        {
            if (original[field] is JsonArray list && MergeKey(kind, path, field) is { } key) original[field] = Ordered(list, order, key);
        }

        return original;
    }

    private static JsonArray MergeList(string kind, List<string> path, string key, JsonArray original, JsonArray patch)
    {
        if (patch.OfType<JsonObject>().Any(e => ObjectTable.Text(e[Directive]) == "replace"))
        {
            return new JsonArray([.. patch.OfType<JsonObject>().Where(e => ObjectTable.Text(e[Directive]) != "replace").Select(e => (JsonNode)Clean(e)!)]);
        }

        if (key.Length == 0)
        {
            // A set of scalars: the patch's values are added to the original's.
            foreach (var value in patch.Where(v => !original.Any(o => JsonNode.DeepEquals(o, v)))) original.Add(value?.DeepClone());
            return original;
        }

        foreach (var element in patch.OfType<JsonObject>())
        {
            var existing = original.OfType<JsonObject>().FirstOrDefault(o => JsonNode.DeepEquals(o[key], element[key]));
            if (ObjectTable.Text(element[Directive]) == "delete")
            {
                if (existing is not null) original.Remove(existing);
                continue;
            }

            if (existing is null)
            {
                original.Add(MergeMap(kind, path, [], element));
            }
            else
            {
                var at = original.IndexOf(existing);
                original[at] = MergeMap(kind, path, (JsonObject)existing.DeepClone(), element);
            }
        }

        return original;
    }

    // $setElementOrder: the elements it names first, in its order; the server's others after them, as they were.
    private static JsonArray Ordered(JsonArray list, JsonArray order, string key)
    {
        var items = list.Select(i => i?.DeepClone()).ToList();
        var named = order.Select(o => key.Length == 0 ? o : o?[key]).ToList();
        int Rank(JsonNode? item)
        {
            var value = key.Length == 0 ? item : item?[key];
            var at = named.FindIndex(n => JsonNode.DeepEquals(n, value));
            return at < 0 ? int.MaxValue : at;
        }

        return new JsonArray([.. items.Select((item, index) => (item, index)).OrderBy(p => Rank(p.item)).ThenBy(p => p.index).Select(p => p.item)]);
    }

    // A value taken whole from a patch loses any directive it carries.
    private static JsonNode? Clean(JsonNode? value)
    {
        if (value is JsonObject o)
        {
            var copy = new JsonObject();
            foreach (var (name, child) in o)
            {
                if (name is Directive or RetainKeys || name.StartsWith(SetElementOrder, StringComparison.Ordinal) || name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal)) continue;
                copy[name] = Clean(child);
            }

            return copy;
        }

        return value is JsonArray a ? new JsonArray([.. a.Select(Clean)]) : value?.DeepClone();
    }
}
