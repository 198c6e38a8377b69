using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The few defaults and controller-set fields kubectl shows and clients read back, as a real cluster has them at once:
/// a namespace is Active with its <c>kubernetes.io/metadata.name</c> label, a Service gets a type, a cluster IP and its
/// ports' protocol and target port, a new pod is Pending, a CRD is Established. Everything else is stored as sent
/// (no other defaulting: a StatefulSet's template is not filled in).
/// </summary>
internal static class Defaults
{
    /// <summary>
    /// A null field is no field: built-in kinds decode into Go structs whose empty fields are omitted when stored, and a
    /// custom resource's nulls are pruned unless its schema says nullable (Kubernetes docs, "Defaulting and
    /// Nullable" in extend-kubernetes/api-extension/custom-resources). Stored objects, and so the comparisons of an
    /// update with them (immutable fields), never see one; a client that omits nulls writes the same object.
    /// </summary>
    public static void PruneNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var key in map.Where(p => p.Value is null).Select(p => p.Key).ToList()) map.Remove(key);
                foreach (var (_, value) in map) PruneNulls(value);
                break;
            case JsonArray list:
                foreach (var item in list) PruneNulls(item);
                break;
        }
    }

    public static void Apply(ResourceType type, JsonObject item, bool creating, long serial)
    {
        var metadata = item["metadata"]!.AsObject();
        switch (type.Group, type.Plural)
        {
            case ("", "namespaces"):
                var labels = metadata["labels"] as JsonObject ?? [];
                labels["kubernetes.io/metadata.name"] = ObjectTable.Text(metadata["name"]);
                metadata["labels"] = labels;
                if (creating)
                {
                    item["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                    item["status"] = new JsonObject { ["phase"] = "Active" };
                }

                break;
            case ("", "secrets"):
                // stringData is write-only: merged into data (base64), its keys winning, and never stored or returned
                // (Convert_v1_Secret_To_core_Secret, kubernetes pkg/apis/core/v1/conversion.go); the type defaults to Opaque.
                if (item["stringData"] is JsonObject stringData)
                {
                    var data = item["data"] as JsonObject ?? [];
                    foreach (var (key, value) in stringData.ToList())
                    {
                        data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ObjectTable.Text(value)));
                    }

                    item["data"] = data;
                }

                item.Remove("stringData");
                item["type"] ??= "Opaque";
                break;
            case ("", "services"):
                var spec = item["spec"] as JsonObject ?? [];
                item["spec"] = spec;
                spec["type"] ??= "ClusterIP";
                spec["sessionAffinity"] ??= "None";
                if (creating && ObjectTable.Text(spec["clusterIP"]).Length == 0)
                {
                    spec["clusterIP"] = $"10.96.{(serial >> 8) & 255}.{serial & 255}";
                }

                spec["clusterIPs"] ??= new JsonArray(ObjectTable.Text(spec["clusterIP"]));
                foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port["protocol"] ??= "TCP";
                    port["targetPort"] ??= port["port"]?.DeepClone();
                }

                if (creating) item["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case ("", "pods" or "persistentvolumeclaims") when creating:
                item["status"] = new JsonObject { ["phase"] = "Pending" };
                if (type.Plural == "persistentvolumeclaims") NormalizeDataSources(item);
                break;
            case (CustomResourceDefinitions.Group, CustomResourceDefinitions.Plural):
                CustomResourceDefinitions.Validate(item);
                if (creating) item["status"] = CustomResourceDefinitions.AcceptedStatus(item, ObjectTable.Text(metadata["creationTimestamp"]));
                break;
        }
    }

    /// <summary>
    /// A claim's data source in both of its fields, as the API server fills them (kubernetes
    /// <c>pkg/api/persistentvolumeclaim/util.go</c> NormalizeDataSources, AnyVolumeDataSource being on since 1.24): a
    /// <c>dataSource</c> alone is copied to <c>dataSourceRef</c>, a <c>dataSourceRef</c> without a namespace to
    /// <c>dataSource</c>; both given must name the same object (<c>pkg/apis/core/validation</c>).
    /// </summary>
    private static void NormalizeDataSources(JsonObject claim)
    {
        if (claim["spec"] is not JsonObject spec) return;
        var source = spec["dataSource"] as JsonObject;
        var reference = spec["dataSourceRef"] as JsonObject;
        var name = ObjectTable.Text(claim["metadata"]?["name"]);
        if (source is not null && reference is null)
        {
            spec["dataSourceRef"] = source.DeepClone();
        }
        else if (reference is not null && source is null)
        {
            if (ObjectTable.Text(reference["namespace"]).Length == 0) spec["dataSource"] = reference.DeepClone();
        }
        else if (source is not null && reference is not null
            && (ObjectTable.Text(source["apiGroup"]), ObjectTable.Text(source["kind"]), ObjectTable.Text(source["name"])) != (ObjectTable.Text(reference["apiGroup"]), ObjectTable.Text(reference["kind"]), ObjectTable.Text(reference["name"]))
            || ObjectTable.Text(reference?["namespace"]).Length > 0)
        {
            throw ApiError.Invalid("PersistentVolumeClaim", name, "spec.dataSource", "FieldValueInvalid", "Invalid value: \"object\": must match dataSourceRef");
        }
    }
}
