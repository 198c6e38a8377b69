using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What a CustomResourceDefinition makes servable, as kubernetes/apiextensions-apiserver does: each served version
/// of its group becomes a resource with the CRD's names, scope, short names and categories, the status subresource
/// if the version declares it, and its additionalPrinterColumns (Age when it has none) for Tables. A CRD is checked
/// for the mistakes the real validation refuses most often, and is Established at once (no controller delay).
/// </summary>
internal static class CustomResourceDefinitions
{
    public const string Group = "apiextensions.k8s.io";
    public const string Plural = "customresourcedefinitions";

    public static IEnumerable<ResourceType> TypesOf(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        if (spec is null || names is null || crd["metadata"]?["deletionTimestamp"] is not null) yield break;
        var group = Text(spec["group"]);
        var plural = Text(names["plural"]);
        var kind = Text(names["kind"]);
        foreach (var version in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().Where(v => v["served"]?.GetValue<bool>() != false))
        {
            var columns = (version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(c => new PrinterColumn(Text(c["name"]), Text(c["type"]), Text(c["jsonPath"]), Text(c["description"]),
                    c["priority"]?.GetValue<int>() ?? 0, Text(c["format"])))
                .ToList();
            yield return new ResourceType(group, Text(version["name"]), plural, Text(names["singular"]) is { Length: > 0 } s ? s : kind.ToLowerInvariant(), kind,
                Text(spec["scope"]) != "Cluster")
            {
                ShortNames = Strings(names["shortNames"]),
                Categories = Strings(names["categories"]),
                HasStatus = version["subresources"]?["status"] is not null,
                IsCustom = true,
                Columns = columns.Count > 0 ? columns : [PrinterColumn.Age],
                Schema = version["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
            };
        }
    }

    /// <summary>
    /// Refuses a CRD the API server would refuse for its names (apiextensions-apiserver
    /// <c>pkg/apis/apiextensions/validation/validation.go</c>): the name must be <c>plural.group</c>, the group must have
    /// a dot, plural and kind are required, exactly one served version is the storage version.
    /// </summary>
    public static void Validate(JsonObject crd)
    {
        var name = Text(crd["metadata"]?["name"]);
        var group = Text(crd["spec"]?["group"]);
        var plural = Text(crd["spec"]?["names"]?["plural"]);
        const string kind = "CustomResourceDefinition.apiextensions.k8s.io";
        if (!group.Contains('.', StringComparison.Ordinal))
        {
            throw ApiError.Invalid(kind, name, "spec.group", "FieldValueInvalid", $"Invalid value: \"{group}\": should be a domain with at least one dot");
        }

        if (plural.Length == 0) throw ApiError.Invalid(kind, name, "spec.names.plural", "FieldValueRequired", "Required value");
        if (Text(crd["spec"]?["names"]?["kind"]).Length == 0) throw ApiError.Invalid(kind, name, "spec.names.kind", "FieldValueRequired", "Required value");
        if (name != $"{plural}.{group}")
        {
            throw ApiError.Invalid(kind, name, "metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group");
        }

        var versions = (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (versions.Count(v => v["storage"]?.GetValue<bool>() == true) != 1)
        {
            throw ApiError.Invalid(kind, name, "spec.versions", "FieldValueInvalid", $"Invalid value: {versions.Count}: must have exactly one version marked as storage version");
        }

        // Every x-kubernetes-validations rule must compile, as the API server compiles them when the CRD is written.
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i]["schema"]?["openAPIV3Schema"] is JsonObject root
                && Structural(root, $"spec.versions[{i}].schema.openAPIV3Schema", isRoot: true) is { } notStructural)
            {
                throw ApiError.Invalid(kind, name, notStructural.Field, notStructural.Type, notStructural.Message);
            }

            if (SchemaValidation.CompileRules(versions[i]["schema"]?["openAPIV3Schema"] as JsonObject, $"spec.versions[{i}].schema.openAPIV3Schema") is { } error)
            {
                throw ApiError.Invalid(kind, name, error.Field, "FieldValueInvalid", error.Message);
            }
        }
    }

    /// <summary>
    /// The first way <paramref name="schema"/> is not structural, as apiextensions.k8s.io/v1 refuses it (Kubernetes
    /// docs, "Specifying a structural schema"; apiextensions-apiserver <c>pkg/apiserver/schema/validation.go</c>): the root
    /// is an object, every specified field, map value and array item has a type unless it is
    /// <c>x-kubernetes-int-or-string</c> or <c>x-kubernetes-preserve-unknown-fields</c>, and no object has both
    /// <c>properties</c> and <c>additionalProperties</c>.
    /// </summary>
    private static (string Field, string Type, string Message)? Structural(JsonObject schema, string path, bool isRoot = false, string what = "")
    {
        var type = Text(schema["type"]);
        if (isRoot && type != "object")
        {
            return ($"{path}.type", "FieldValueInvalid", $"Invalid value: \"{type}\": must be object at the root");
        }

        var untypedAllowed = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true || schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        if (!isRoot && type.Length == 0 && !untypedAllowed)
        {
            return ($"{path}.type", "FieldValueRequired", $"Required value: must not be empty for specified {what}");
        }

        if (schema["properties"] is JsonObject && schema["additionalProperties"] is JsonObject)
        {
            return ($"{path}.additionalProperties", "FieldValueForbidden", "Forbidden: additionalProperties and properties are mutual exclusive");
        }

        foreach (var (key, child) in schema["properties"] as JsonObject ?? [])
        {
            if (child is JsonObject field && Structural(field, $"{path}.properties[{key}]", what: "object fields") is { } error) return error;
        }

        if (schema["additionalProperties"] is JsonObject values && Structural(values, $"{path}.additionalProperties", what: "object fields") is { } valueError) return valueError;
        return schema["items"] is JsonObject items ? Structural(items, $"{path}.items", what: "array items") : null;
    }

    /// <summary>The status the API server's controllers give an accepted CRD: its names accepted, Established.</summary>
    public static JsonObject AcceptedStatus(JsonObject crd, string now)
    {
        JsonObject Condition(string type, string reason, string message) => new()
        {
            ["type"] = type, ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message,
        };

        return new JsonObject
        {
            ["acceptedNames"] = crd["spec"]?["names"]?.DeepClone(),
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
            ["storedVersions"] = new JsonArray([.. (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(v => v["storage"]?.GetValue<bool>() == true).Select(v => (JsonNode)Text(v["name"]))]),
        };
    }

    /// <summary>
    /// A CRD for a namespaced kind with an open schema and the status subresource: a stand-in for KubeDB's and
    /// KubeStash's own CRDs, whose schemas are not copied here (deploy/statefulset/crds.yaml has typed ones).
    /// </summary>
    public static JsonObject Open(string group, string version, string kind, string plural) => new()
    {
        ["apiVersion"] = $"{Group}/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = $"{plural}.{group}" },
        ["spec"] = new JsonObject
        {
            ["group"] = group,
            ["scope"] = "Namespaced",
            ["names"] = new JsonObject
            {
                ["kind"] = kind, ["plural"] = plural, ["singular"] = kind.ToLowerInvariant(), ["listKind"] = kind + "List",
            },
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = version,
                ["served"] = true,
                ["storage"] = true,
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                ["schema"] = new JsonObject
                {
                    ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
                },
            }),
        },
    };

    /// <summary>
    /// The kinds KubeDB and KubeStash install that Archiver reads and writes, as a cluster with them has them: the
    /// emulator's default, so that clients which do not install CRDs (KubernetesClient in the adapter tests) find them.
    /// </summary>
    public static IReadOnlyList<JsonObject> Archiver() =>
    [
        Open("archiver.kubedb.com", "v1alpha1", "MongoDBArchiver", "mongodbarchivers"),
        Open("ops.kubedb.com", "v1alpha1", "MongoDBOpsRequest", "mongodbopsrequests"),
        Open("kubedb.com", "v1alpha2", "MongoDB", "mongodbs"),
        Open("core.kubestash.com", "v1alpha1", "BackupConfiguration", "backupconfigurations"),
        Open("storage.kubestash.com", "v1alpha1", "Snapshot", "snapshots"),
        Open("storage.kubestash.com", "v1alpha1", "BackupStorage", "backupstorages"),
        Open("storage.kubestash.com", "v1alpha1", "RetentionPolicy", "retentionpolicies"),
    ];

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static List<string> Strings(JsonNode? node) => [.. (node as JsonArray ?? []).Select(Text).Where(s => s.Length > 0)];
}
