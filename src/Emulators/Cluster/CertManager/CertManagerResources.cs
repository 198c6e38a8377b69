using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// cert-manager's CustomResourceDefinitions as far as the stand-in serves them: <c>cert-manager.io/v1</c> Issuer,
/// ClusterIssuer and Certificate, with their scope, short names, category and printer columns as in cert-manager's
/// <c>deploy/crds/crd-issuers.yaml</c>, <c>crd-clusterissuers.yaml</c> and <c>crd-certificates.yaml</c>, and the
/// status subresource. Schemas are open: cert-manager's validating webhook is not run, so what it would refuse is
/// stored and the stand-in reports it on the object's Ready condition instead (<see cref="CertificateController"/>).
/// CertificateRequests, Orders and Challenges (ACME) are not served.
/// </summary>
internal static class CertManagerResources
{
    private const string Group = "cert-manager.io";

    public static IReadOnlyList<JsonObject> Definitions() =>
    [
        Definition("Issuer", "issuers", "Namespaced", [], IssuerColumns()),
        Definition("ClusterIssuer", "clusterissuers", "Cluster", [], IssuerColumns()),
        Definition("Certificate", "certificates", "Namespaced", ["cert", "certs"], new JsonArray(
            Column(".status.conditions[?(@.type==\"Ready\")].status", "Ready", "string", 0),
            Column(".spec.secretName", "Secret", "string", 0),
            Column(".spec.issuerRef.name", "Issuer", "string", 1),
            Column(".status.conditions[?(@.type==\"Ready\")].message", "Status", "string", 1),
            Column(".metadata.creationTimestamp", "Age", "date", 0))),
    ];

    private static JsonArray IssuerColumns() => new(
        Column(".status.conditions[?(@.type==\"Ready\")].status", "Ready", "string", 0),
        Column(".status.conditions[?(@.type==\"Ready\")].message", "Status", "string", 1),
        Column(".metadata.creationTimestamp", "Age", "date", 0));

    private static JsonObject Definition(string kind, string plural, string scope, string[] shortNames, JsonArray columns) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = $"{plural}.{Group}" },
        ["spec"] = new JsonObject
        {
            ["group"] = Group,
            ["scope"] = scope,
            ["names"] = new JsonObject
            {
                ["kind"] = kind,
                ["listKind"] = kind + "List",
                ["plural"] = plural,
                ["singular"] = kind.ToLowerInvariant(),
                ["shortNames"] = new JsonArray([.. shortNames.Select(s => (JsonNode)s)]),
                ["categories"] = new JsonArray("cert-manager"),
            },
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = "v1",
                ["served"] = true,
                ["storage"] = true,
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                ["additionalPrinterColumns"] = columns,
                ["schema"] = new JsonObject
                {
                    ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
                },
            }),
        },
    };

    private static JsonObject Column(string path, string name, string type, int priority)
    {
        var column = new JsonObject { ["jsonPath"] = path, ["name"] = name, ["type"] = type };
        if (priority > 0) column["priority"] = priority;
        return column;
    }
}
