using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The field selectors every kind supports (<c>metadata.name</c>, <c>metadata.namespace</c>, with <c>=</c>,
/// <c>==</c>, <c>!=</c>, comma-joined): kubectl uses them to get or watch one object by name. Core Events add the
/// fields kubernetes/kubernetes <c>pkg/apis/core/v1/conversion.go</c> converts for them (<c>involvedObject.*</c>,
/// <c>reason</c>, <c>type</c>, ...: what <c>kubectl describe</c> lists an object's events by). Any other field is
/// refused as the API server refuses a field it does not index for that kind.
/// </summary>
internal static class FieldSelector
{
    /// <summary>A core Event's selectable fields beyond the name and namespace, and where each is read.</summary>
    private static readonly Dictionary<string, string[]> EventFields = new(StringComparer.Ordinal)
    {
        ["involvedObject.kind"] = ["involvedObject", "kind"],
        ["involvedObject.namespace"] = ["involvedObject", "namespace"],
        ["involvedObject.name"] = ["involvedObject", "name"],
        ["involvedObject.uid"] = ["involvedObject", "uid"],
        ["involvedObject.apiVersion"] = ["involvedObject", "apiVersion"],
        ["involvedObject.resourceVersion"] = ["involvedObject", "resourceVersion"],
        ["involvedObject.fieldPath"] = ["involvedObject", "fieldPath"],
        ["reason"] = ["reason"],
        ["reportingComponent"] = ["reportingComponent"],
        ["source"] = ["source", "component"],
        ["type"] = ["type"],
    };

    public static Func<JsonObject, bool> Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text)) return _ => true;
        var terms = new List<Func<JsonObject, bool>>();
        foreach (var term in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var negate = term.Contains("!=", StringComparison.Ordinal);
            var parts = term.Split(negate ? "!=" : term.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (parts.Length != 2) throw ApiError.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            var (field, value) = (parts[0].Trim(), parts[1].Trim());
            Func<JsonObject, string> read = field switch
            {
                "metadata.name" => o => ObjectTable.Text(o["metadata"]?["name"]),
                "metadata.namespace" => o => ObjectTable.Text(o["metadata"]?["namespace"]),
                _ when type is { Group: "", Plural: "events" } && EventFields.TryGetValue(field, out var at) => o => ObjectTable.Text(at.Aggregate((JsonNode?)o, (node, step) => node?[step])),
                _ => throw ApiError.BadRequest($"field label not supported: {field}"),
            };
            terms.Add(o => (read(o) == value) != negate);
        }

        return o => terms.All(t => t(o));
    }
}
