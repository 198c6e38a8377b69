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
                break;
            case (CustomResourceDefinitions.Group, CustomResourceDefinitions.Plural):
                CustomResourceDefinitions.Validate(item);
                if (creating) item["status"] = CustomResourceDefinitions.AcceptedStatus(item, ObjectTable.Text(metadata["creationTimestamp"]));
                break;
        }
    }
}
