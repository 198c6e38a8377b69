using System.Text.Json.Nodes;
using Archiver.Emulators.Kubernetes;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// The CustomResourceDefinitions a cluster with KubeDB has, as far as the stand-in needs them: Archiver's seven kinds
/// (the API server stand-in's default set), with KubeDB's MongoDB served at both <c>v1</c> (the storage version) and
/// <c>v1alpha2</c>, its short name <c>mg</c>, categories and printer columns as in kubedb/apimachinery
/// <c>crds/kubedb.com_mongodbs.yaml</c>; and KubeDB's workload, PetSet (kubeops/petset
/// <c>crds/apps.k8s.appscode.com_petsets.yaml</c>: status and scale subresources). Schemas are open: the API server
/// stand-in validates none.
/// </summary>
internal static class KubeDbResources
{
    public static IReadOnlyList<JsonObject> Definitions()
    {
        var archiver = CustomResourceDefinitions.Archiver()
            .Where(crd => crd["metadata"]?["name"]?.GetValue<string>() != "mongodbs.kubedb.com");
        return [.. archiver, MongoDB(), PetSet()];
    }

    private static JsonObject MongoDB()
    {
        JsonObject Version(string name, bool storage) => new()
        {
            ["name"] = name,
            ["served"] = true,
            ["storage"] = storage,
            ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
            ["additionalPrinterColumns"] = new JsonArray(
                Column(".spec.version", "Version", "string"),
                Column(".status.phase", "Status", "string"),
                Column(".metadata.creationTimestamp", "Age", "date")),
            ["schema"] = OpenSchema(),
        };
        return Definition("kubedb.com", "MongoDB", "mongodbs", ["mg"], ["datastore", "kubedb", "appscode", "all"], Version("v1", true), Version("v1alpha2", false));
    }

    private static JsonObject PetSet() => Definition("apps.k8s.appscode.com", "PetSet", "petsets", [], [], new JsonObject
    {
        ["name"] = "v1",
        ["served"] = true,
        ["storage"] = true,
        ["subresources"] = new JsonObject
        {
            ["status"] = new JsonObject(),
            ["scale"] = new JsonObject { ["specReplicasPath"] = ".spec.replicas", ["statusReplicasPath"] = ".status.replicas" },
        },
        ["schema"] = OpenSchema(),
    });

    private static JsonObject Definition(string group, string kind, string plural, string[] shortNames, string[] categories, params JsonObject[] versions) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = $"{plural}.{group}" },
        ["spec"] = new JsonObject
        {
            ["group"] = group,
            ["scope"] = "Namespaced",
            ["names"] = new JsonObject
            {
                ["kind"] = kind,
                ["listKind"] = kind + "List",
                ["plural"] = plural,
                ["singular"] = kind.ToLowerInvariant(),
                ["shortNames"] = new JsonArray([.. shortNames.Select(s => (JsonNode)s)]),
                ["categories"] = new JsonArray([.. categories.Select(s => (JsonNode)s)]),
            },
            ["versions"] = new JsonArray([.. versions]),
        },
    };

    private static JsonObject Column(string path, string name, string type) => new() { ["jsonPath"] = path, ["name"] = name, ["type"] = type };

    private static JsonObject OpenSchema() => new()
    {
        ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
    };
}
