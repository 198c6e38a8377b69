using System.Text.Json.Nodes;
using Json.Schema;

namespace Archiver.Messages.Tests;

/// <summary>
/// A CRD's <c>openAPIV3Schema</c> as a JSON Schema (draft 2020-12) a general validator evaluates the way the API server
/// does (Kubernetes docs, "Custom Resource Definitions": "Validation", "Field pruning", "IntOrString"):
/// <c>x-kubernetes-int-or-string</c> takes an integer or a string; <c>nullable</c> also takes null; an object that
/// declares its properties and does not preserve unknown fields refuses any other field, as the API server does under
/// <c>fieldValidation=Strict</c> (kubectl's default) instead of pruning it; root <c>apiVersion</c>, <c>kind</c> and
/// <c>metadata</c> are the API server's own. <c>format</c> is asserted, as the API server checks <c>date-time</c>.
/// </summary>
internal static class KubernetesSchema
{
    public static JsonSchema ToJsonSchema(JsonObject openApi)
    {
        var schema = Translate((JsonObject)openApi.DeepClone());
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        return JsonSchema.FromText(schema.ToJsonString());
    }

    public static EvaluationResults Evaluate(JsonSchema schema, JsonNode? instance) =>
        schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

    /// <summary>The failures, one line each: where in the object, and what the validator said.</summary>
    public static IEnumerable<string> Errors(EvaluationResults results) =>
        (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));

    /// <summary>
    /// Sets each absent field whose schema has a <c>default</c>, in every object present, as the API server does when it
    /// decodes a request (Kubernetes docs, "Defaulting").
    /// </summary>
    public static void ApplyDefaults(JsonNode? node, JsonObject? schema)
    {
        if (schema is null) return;
        if (node is JsonObject map)
        {
            foreach (var (key, declared) in schema["properties"] as JsonObject ?? [])
            {
                if (declared is not JsonObject child) continue;
                if (!map.ContainsKey(key) && child["default"] is { } value) map[key] = value.DeepClone();
                ApplyDefaults(map[key], child);
            }

            if (schema["additionalProperties"] is JsonObject additional)
            {
                foreach (var (_, value) in map) ApplyDefaults(value, additional);
            }
        }
        else if (node is JsonArray list && schema["items"] is JsonObject items)
        {
            foreach (var item in list) ApplyDefaults(item, items);
        }
    }

    private static JsonObject Translate(JsonObject schema)
    {
        var type = schema["type"]?.GetValue<string>();
        var types = new List<string>();
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true) types.AddRange(["integer", "string"]);
        else if (type is not null) types.Add(type);
        if (schema["nullable"]?.GetValue<bool>() == true && types.Count > 0) types.Add("null");
        schema.Remove("type");
        if (types.Count > 0) schema["type"] = types.Count == 1 ? types[0] : new JsonArray([.. types.Select(t => (JsonNode)t)]);

        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties.ToList()) properties[name] = Translate((JsonObject)child!.DeepClone());
            if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() != true && schema["additionalProperties"] is null)
            {
                schema["additionalProperties"] = false;
            }
        }

        if (schema["additionalProperties"] is JsonObject additional) schema["additionalProperties"] = Translate((JsonObject)additional.DeepClone());
        if (schema["items"] is JsonObject items) schema["items"] = Translate((JsonObject)items.DeepClone());
        foreach (var key in schema.Select(p => p.Key).Where(k => k.StartsWith("x-kubernetes-", StringComparison.Ordinal) || k == "nullable").ToList())
        {
            schema.Remove(key);
        }

        return schema;
    }
}
