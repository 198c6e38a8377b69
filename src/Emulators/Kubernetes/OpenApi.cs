using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The OpenAPI v3 documents kubectl reads before it sends a write: <c>/openapi/v3</c> lists one document per group
/// version, and each document's PATCH operations carry <c>x-kubernetes-group-version-kind</c> and the
/// <c>fieldValidation</c> parameter, which is how kubectl learns that the server validates fields itself and leaves
/// client-side validation off (kubernetes/cli-runtime <c>pkg/resource/query_param_verifier_v3.go</c>). Custom
/// resources' documents carry their CRD's schema in <c>components.schemas</c>; built-in kinds have no schemas here
/// (so <c>kubectl explain</c> of a built-in finds nothing). <c>/openapi/v2</c> is a document without definitions:
/// kubectl falls back to it (protobuf only, client-go <c>discovery/discovery_client.go</c>) for kinds no v3 document
/// names, such as a kind whose CRD is missing, and a real server answers it; with no definition for a kind, kubectl's
/// client-side validation skips it, so such a kind then fails as on a cluster, with "no matches for kind".
/// </summary>
internal static class OpenApi
{
    // What kube-openapi's handler answers for kubectl's Accept "...spec.v2@v1.0+protobuf": "@" is not valid in a
    // Content-Type, so the response names it with a dot (kube-openapi pkg/handler/handler.go).
    public const string V2Protobuf = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>The OpenAPI v2 document, as JSON or, for kubectl, as the gnostic <c>openapi_v2.Document</c> protobuf.</summary>
    public static (string ContentType, byte[] Body) V2(string? accept, string serverVersion)
    {
        if (accept is not null && accept.Contains("protobuf", StringComparison.Ordinal))
        {
            // Document { swagger = 1: "2.0", info = 2: Info { title = 1, version = 2 } }: length-delimited fields.
            static byte[] Field(int number, byte[] value) => [(byte)((number << 3) | 2), .. Varint(value.Length), .. value];
            static byte[] Varint(int value)
            {
                var bytes = new List<byte>();
                for (; value >= 0x80; value >>= 7) bytes.Add((byte)(value | 0x80));
                bytes.Add((byte)value);
                return [.. bytes];
            }

            var info = Field(1, Encoding.UTF8.GetBytes("Kubernetes")).Concat(Field(2, Encoding.UTF8.GetBytes(serverVersion))).ToArray();
            return (V2Protobuf, [.. Field(1, Encoding.UTF8.GetBytes("2.0")), .. Field(2, info)]);
        }

        var json = new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = serverVersion },
            ["paths"] = new JsonObject(),
            ["definitions"] = new JsonObject(),
        };
        return ("application/json", Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    public static JsonObject Root(ApiResources resources)
    {
        var paths = new JsonObject();
        foreach (var groupVersion in resources.All().Select(t => t.ApiVersion).Distinct())
        {
            var prefix = groupVersion.Contains('/', StringComparison.Ordinal) ? $"apis/{groupVersion}" : $"api/{groupVersion}";
            var hash = Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(Document(resources, groupVersion)!.ToJsonString())));
            paths[prefix] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{prefix}?hash={hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document of one group version (<c>v1</c>, <c>apps/v1</c>); null if nothing is served there.</summary>
    public static JsonObject? Document(ApiResources resources, string groupVersion)
    {
        var types = resources.All().Where(t => t.ApiVersion == groupVersion).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var type in types)
        {
            var gvk = new JsonObject { ["group"] = type.Group, ["kind"] = type.Kind, ["version"] = type.Version };
            var root = type.Group.Length == 0 ? $"/api/{type.Version}" : $"/apis/{type.Group}/{type.Version}";
            var collection = type.Namespaced ? $"{root}/namespaces/{{namespace}}/{type.Plural}" : $"{root}/{type.Plural}";
            paths[collection] = new JsonObject
            {
                ["get"] = Operation("list", type, gvk, []),
                ["post"] = Operation("post", type, gvk, ["dryRun", "fieldManager", "fieldValidation"]),
            };
            paths[$"{collection}/{{name}}"] = new JsonObject
            {
                ["get"] = Operation("get", type, gvk, []),
                ["put"] = Operation("put", type, gvk, ["dryRun", "fieldManager", "fieldValidation"]),
                ["patch"] = Operation("patch", type, gvk, ["dryRun", "fieldManager", "fieldValidation", "force"]),
                ["delete"] = Operation("delete", type, gvk, ["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
            };
            if (type.Schema is not null)
            {
                var schema = (JsonObject)type.Schema.DeepClone();
                schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
                schemas[SchemaName(type)] = schema;
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "unversioned" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Operation(string action, ResourceType type, JsonObject gvk, string[] parameters) => new()
    {
        ["operationId"] = $"{action}{type.Kind}",
        ["parameters"] = new JsonArray([.. parameters.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p,
            ["in"] = "query",
            ["schema"] = new JsonObject { ["type"] = p is "force" ? "boolean" : p is "gracePeriodSeconds" ? "integer" : "string", ["uniqueItems"] = true },
        })]),
        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
        ["x-kubernetes-action"] = action,
        ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
    };

    // Reversed-domain names, as the API server names CRD schemas (com.kubedb.archiver.v1alpha1.MongoDBArchiver).
    private static string SchemaName(ResourceType type) =>
        string.Join('.', type.Group.Split('.').Reverse()) + $".{type.Version}.{type.Kind}";
}
