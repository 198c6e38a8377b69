using System.ComponentModel;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Messages.Manifests;

/// <summary>
/// The structural <c>openAPIV3Schema</c> of each kind, made from its C# type as <see cref="SchemaWalker"/> reads
/// manifests (Kubernetes docs, "Specifying a structural schema"): every field typed; enums with their KubeDB aliases;
/// <c>date-time</c> for times; the patterns and minimums the validator's own checks imply
/// (<see cref="PatternAttribute"/>, <see cref="MinimumAttribute"/>); required fields; defaults only where a
/// <see cref="DefaultValueAttribute"/> says the absent value means exactly that one; a field's other spelling
/// (<see cref="AliasAttribute"/>) as a property of its own; and <c>x-kubernetes-preserve-unknown-fields</c> where a type
/// keeps what it does not model (KubeDB's fields of a MongoDB, settings kept as given). Descriptions come from the
/// types' doc comments.
/// </summary>
public static class CrdSchemas
{
    // Kubernetes' own words for the label selector types, which come from KubernetesClient (whose documentation file
    // is not beside ours): kubernetes/api core/v1 and meta/v1 types.go.
    private static readonly Dictionary<(Type, string), string> KubernetesDescriptions = new()
    {
        [(typeof(V1LabelSelector), "matchLabels")] = "A map of {key,value} pairs; each is equivalent to an element of matchExpressions whose key field is \"key\", the operator is \"In\", and the values array contains only \"value\". The requirements are ANDed.",
        [(typeof(V1LabelSelector), "matchExpressions")] = "A list of label selector requirements. The requirements are ANDed.",
        [(typeof(V1LabelSelectorRequirement), "key")] = "The label key that the selector applies to.",
        [(typeof(V1LabelSelectorRequirement), "operator")] = "The key's relationship to a set of values: In, NotIn, Exists or DoesNotExist.",
        [(typeof(V1LabelSelectorRequirement), "values")] = "An array of string values. With the operator In or NotIn it must be non-empty; with Exists or DoesNotExist it must be empty.",
    };

    /// <summary>The schema of <paramref name="kind"/>'s one served version.</summary>
    public static JsonObject OpenApiV3Schema(ResourceKind kind, DocComments docs)
    {
        var root = Object(kind.Type, docs);
        var properties = (JsonObject)root["properties"]!;
        var typed = new JsonObject
        {
            ["apiVersion"] = new JsonObject
            {
                ["description"] = "The versioned schema of this representation of an object (Kubernetes API conventions).",
                ["type"] = "string",
            },
            ["kind"] = new JsonObject
            {
                ["description"] = "The REST resource this object represents (Kubernetes API conventions).",
                ["type"] = "string",
            },
            // The API server describes metadata itself; a CRD may declare no more than its type (Kubernetes docs,
            // "Specifying a structural schema": only metadata.name and generateName may be restricted).
            ["metadata"] = new JsonObject { ["type"] = "object" },
        };
        foreach (var (name, value) in properties.ToList())
        {
            if (name is "apiVersion" or "kind" or "metadata") continue;
            properties.Remove(name);
            typed[name] = value;
        }

        root["properties"] = typed;
        return root;
    }

    private static JsonObject Schema(Type type, PropertyInfo? property, DocComments docs)
    {
        var shape = TypeShape.Of(type);
        var schema = shape switch
        {
            ScalarShape { Kind: ScalarKind.String } => new JsonObject { ["type"] = "string" },
            ScalarShape { Kind: ScalarKind.Bool } => new JsonObject { ["type"] = "boolean" },
            ScalarShape { Kind: ScalarKind.Integer } => new JsonObject
            {
                ["type"] = "integer",
                ["format"] = (Nullable.GetUnderlyingType(type) ?? type) == typeof(long) ? "int64" : "int32",
            },
            ScalarShape { Kind: ScalarKind.Number } => new JsonObject { ["type"] = "number" },
            ScalarShape { Kind: ScalarKind.Time } => new JsonObject { ["type"] = "string", ["format"] = "date-time" },
            EnumShape e => Enum(e.EnumType, docs),
            // Kept as given (KubeStash's runtime settings, Kubernetes volume sources): always objects.
            FreeFormShape => new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
            MapShape map => new JsonObject { ["type"] = "object", ["additionalProperties"] = Schema(map.ValueType, null, docs) },
            ListShape list => new JsonObject { ["type"] = "array", ["items"] = Schema(list.ElementType, null, docs) },
            ObjectShape => Object(Nullable.GetUnderlyingType(type) ?? type, docs),
            _ => throw new InvalidOperationException($"no schema for {shape}"),
        };
        if (property is not null) Describe(schema, property, shape is EnumShape, docs);
        schema.Remove("x-values");
        return DescriptionFirst(schema);
    }

    // The property's own comment says what the field is for, in place of its type's (which says what the type is);
    // an enum keeps the list of its values' meanings after it.
    private static void Describe(JsonObject schema, PropertyInfo property, bool isEnum, DocComments docs)
    {
        var text = docs.Of(property);
        if (text is null && property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name is { } name)
        {
            text = KubernetesDescriptions.GetValueOrDefault((property.DeclaringType!, name));
        }

        if (text is not null)
        {
            // The values' meanings follow, unless the field's own comment already names every value.
            var values = isEnum ? schema["x-values"]?.GetValue<string>() : null;
            var named = schema["enum"] is JsonArray choices && choices.All(c => text.Contains(c!.GetValue<string>(), StringComparison.Ordinal));
            schema["description"] = values is null || named ? text : $"{text} {values}";
        }

        // A quantity (KubernetesClient's and Kubernetes' own IntOrString): an integer or a string, the pattern for strings.
        if (property.GetCustomAttribute<JsonConverterAttribute>()?.ConverterType == typeof(IntOrStringConverter))
        {
            schema.Remove("type");
            schema["x-kubernetes-int-or-string"] = true;
        }

        if (property.GetCustomAttribute<PatternAttribute>() is { } pattern) schema["pattern"] = pattern.Pattern;
        if (property.GetCustomAttribute<MinimumAttribute>() is { } minimum) schema["minimum"] = minimum.Minimum;
        if (property.GetCustomAttribute<DefaultValueAttribute>() is { Value: { } value })
        {
            schema["default"] = value switch
            {
                Enum e => EnumNames.NameOf(e.GetType(), e),
                bool b => b,
                int i => i,
                long l => l,
                string s => s,
                _ => throw new InvalidOperationException($"{property.DeclaringType!.Name}.{property.Name}: no schema default for {value.GetType().Name}"),
            };
        }
    }

    // type and description before the rest, so a field reads from the top in the file.
    private static JsonObject DescriptionFirst(JsonObject schema)
    {
        var ordered = new JsonObject();
        foreach (var key in new[] { "type", "description" }.Concat(schema.Select(p => p.Key)).Distinct().Where(schema.ContainsKey).ToList())
        {
            var value = schema[key];
            schema.Remove(key);
            ordered[key] = value;
        }

        return ordered;
    }

    private static JsonObject Enum(Type enumType, DocComments docs)
    {
        var values = new JsonArray();
        var described = new List<string>();
        foreach (var field in enumType.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var name = EnumNames.NameOf(enumType, field.GetValue(null)!);
            values.Add(name);
            var aliases = field.GetCustomAttributes<AliasAttribute>().Select(a => a.Name).ToList();
            foreach (var alias in aliases) values.Add(alias);
            var spelled = aliases.Count == 0 ? name : $"{name} (also {string.Join(", ", aliases)})";
            described.Add(docs.Of(field) is { } doc ? $"{spelled}: {doc.TrimEnd('.')}." : $"{spelled}.");
        }

        var schema = new JsonObject { ["type"] = "string", ["enum"] = values };
        var about = docs.Of(enumType);
        // The values' meanings, kept aside (x-values, removed by Describe) for a property's own description to precede.
        var meanings = described.Any(d => d.Contains(':', StringComparison.Ordinal)) ? string.Join(" ", described) : null;
        var description = string.Join(" ", new[] { about, meanings }.Where(t => t is not null));
        if (description.Length > 0) schema["description"] = description;
        if (meanings is not null) schema["x-values"] = meanings;
        return schema;
    }

    private static JsonObject Object(Type type, DocComments docs)
    {
        var shape = ObjectShape.For(type);
        var properties = new JsonObject();
        var required = new JsonArray();
        var aliasesOf = shape.Aliases.GroupBy(a => a.Value).ToDictionary(g => g.Key, g => g.Select(a => a.Key).ToList(), StringComparer.Ordinal);
        foreach (var (name, property) in shape.Properties.OrderBy(p => p.Value.MetadataToken))
        {
            properties[name] = Schema(property.PropertyType, property, docs);
            foreach (var alias in aliasesOf.GetValueOrDefault(name) ?? [])
            {
                var other = (JsonObject)properties[name]!.DeepClone();
                other["description"] = $"Another spelling of {name}, read the same way; set only one of them.";
                properties[alias] = other;
            }

            // A field with another spelling cannot be required by name: either spelling may be the one given.
            if (shape.Required.Contains(name) && !aliasesOf.ContainsKey(name)) required.Add(name);
        }

        var schema = new JsonObject { ["type"] = "object" };
        if (docs.Of(type) is { } description) schema["description"] = description;
        schema["properties"] = properties;
        if (required.Count > 0) schema["required"] = required;
        if (shape.KeepsUnknownFields) schema["x-kubernetes-preserve-unknown-fields"] = true;
        return schema;
    }
}
