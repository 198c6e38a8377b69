using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The update rules of the built-in kinds' validation (kubernetes/kubernetes <c>pkg/apis/apps/validation</c>,
/// <c>pkg/apis/batch/validation</c>, <c>pkg/apis/core/validation</c>) that a client most easily breaks: a
/// StatefulSet's spec may change only in replicas, ordinals, template, updateStrategy,
/// persistentVolumeClaimRetentionPolicy and minReadySeconds; a Job's selector and template never; an immutable
/// Secret's or ConfigMap's data never. Each is a 422 with the API server's wording.
/// </summary>
internal static class Immutability
{
    private static readonly HashSet<string> StatefulSetMutable = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

    public static void Check(ResourceType type, string name, JsonObject current, JsonObject next)
    {
        switch (type.Group, type.Plural)
        {
            case ("apps", "statefulsets"):
                var before = Without(current["spec"], StatefulSetMutable);
                var after = Without(next["spec"], StatefulSetMutable);
                if (!JsonNode.DeepEquals(before, after))
                {
                    throw ApiError.Invalid(type.QualifiedKind, name, "spec", "FieldValueForbidden",
                        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
                }

                break;
            case ("batch", "jobs"):
                foreach (var field in new[] { "selector", "template" })
                {
                    if (!JsonNode.DeepEquals(current["spec"]?[field], next["spec"]?[field]))
                    {
                        throw ApiError.Invalid(type.QualifiedKind, name, $"spec.{field}", "FieldValueInvalid", "Invalid value: \"...\": field is immutable");
                    }
                }

                break;
            case ("", "secrets" or "configmaps") when current["immutable"]?.GetValue<bool>() == true:
                foreach (var field in type.Plural == "secrets" ? new[] { "data" } : ["data", "binaryData"])
                {
                    if (!JsonNode.DeepEquals(current[field], next[field]))
                    {
                        throw ApiError.Invalid(type.QualifiedKind, name, field, "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set");
                    }
                }

                if (next["immutable"]?.GetValue<bool>() != true)
                {
                    throw ApiError.Invalid(type.QualifiedKind, name, "immutable", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set");
                }

                break;
        }
    }

    private static JsonObject Without(JsonNode? spec, HashSet<string> fields)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in spec as JsonObject ?? []) if (!fields.Contains(key)) copy[key] = value?.DeepClone();
        return copy;
    }
}
