using System.Globalization;
using System.Text.Json.Nodes;
using Archiver.Messages.Validation;
using YamlDotNet.RepresentationModel;

namespace Archiver.Messages.Manifests;

/// <summary>
/// Turns a YAML node tree into JSON shaped for a CLR type, reporting every field that does not fit (unknown,
/// wrong type, not one of an enum's values, missing when required) instead of stopping at the first, as
/// KubernetesYaml's strict mode does. Aliases come out under their canonical names. A field in error is left
/// out of the JSON, so the rest can still be typed and checked.
/// </summary>
internal sealed class SchemaWalker
{
    private readonly List<FieldError> _errors = [];
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
    private readonly bool _strict;

    private SchemaWalker(bool strict) => _strict = strict;

    /// <summary>The JSON, the errors, and the line of every field, so later checks can point at lines too.</summary>
    public static (JsonNode? Json, IReadOnlyList<FieldError> Errors, IReadOnlyDictionary<string, int> Lines) Walk(YamlNode node, Type type, bool strict = true)
    {
        var walker = new SchemaWalker(strict);
        var json = walker.Convert(node, TypeShape.Of(type), "");
        return (json, walker._errors, walker._lines);
    }

    private JsonNode? Convert(YamlNode node, TypeShape shape, string path)
    {
        if (node.Start.Line > 0) _lines[path] = (int)node.Start.Line;
        if (node is YamlScalarNode nullNode && YamlScalars.IsNull(nullNode) && shape is not ScalarShape { Kind: ScalarKind.String })
        {
            return null;
        }

        return shape switch
        {
            ScalarShape scalar => ConvertScalar(node, scalar.Kind, path),
            EnumShape enumShape => ConvertEnum(node, enumShape, path),
            FreeFormShape => YamlScalars.ToJson(node),
            MapShape map => ConvertMap(node, map, path),
            ListShape list => ConvertList(node, list, path),
            ObjectShape obj => ConvertObject(node, obj, path),
            _ => throw new InvalidOperationException($"no conversion for {shape}"),
        };
    }

    private JsonNode? ConvertScalar(YamlNode node, ScalarKind kind, string path)
    {
        if (node is not YamlScalarNode scalar)
        {
            return Fail(node, path, $"must be {Describe(kind)}, not {Describe(node)}");
        }

        var text = scalar.Value ?? "";
        var plain = YamlScalars.IsPlain(scalar);
        switch (kind)
        {
            case ScalarKind.String:
                return JsonValue.Create(plain && YamlScalars.IsNullText(text) ? null : text);
            case ScalarKind.Bool:
                return plain && YamlScalars.TryBool(text, out var b) ? JsonValue.Create(b) : Fail(node, path, $"must be true or false, not \"{text}\"");
            case ScalarKind.Integer:
                return YamlScalars.TryInt64(text, out var l) && l is >= int.MinValue and <= int.MaxValue
                    ? JsonValue.Create(l)
                    : Fail(node, path, $"must be an integer, not \"{text}\"");
            case ScalarKind.Number:
                return YamlScalars.IsFloat(text) ? YamlScalars.Number(text) : Fail(node, path, $"must be a number, not \"{text}\"");
            case ScalarKind.Time:
                return Rfc3339.TryParse(text, out var time, out var why)
                    ? JsonValue.Create(time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture))
                    : Fail(node, path, why);
            default:
                throw new InvalidOperationException($"unknown scalar kind {kind}");
        }
    }

    private JsonValue? ConvertEnum(YamlNode node, EnumShape shape, string path)
    {
        if (node is YamlScalarNode { Value: { } text } && Resources.EnumNames.TryParse(shape.EnumType, text, out var value))
        {
            return JsonValue.Create(Resources.EnumNames.NameOf(shape.EnumType, value));
        }

        var got = node is YamlScalarNode s ? $"\"{s.Value}\"" : Describe(node);
        var refused = shape.EnumType.GetCustomAttributes(typeof(Resources.RefusedValueAttribute), inherit: false)
            .Cast<Resources.RefusedValueAttribute>()
            .FirstOrDefault(r => node is YamlScalarNode { Value: { } v } && v == r.Name);
        Fail(node, path, $"must be one of {string.Join(", ", shape.Names)}, not {got}{(refused is null ? "" : ": " + refused.Reason)}");
        return null;
    }

    private JsonObject? ConvertMap(YamlNode node, MapShape shape, string path)
    {
        if (node is not YamlMappingNode map) return (JsonObject?)Fail(node, path, $"must be a mapping, not {Describe(node)}");
        var valueShape = TypeShape.Of(shape.ValueType);
        var result = new JsonObject();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = KeyText(keyNode);
            var value = Convert(valueNode, valueShape, FieldError.Join(path, key));
            if (value is not null || IsExplicitNull(valueNode)) result[key] = value;
        }

        return result;
    }

    private JsonArray? ConvertList(YamlNode node, ListShape shape, string path)
    {
        if (node is not YamlSequenceNode sequence) return (JsonArray?)Fail(node, path, $"must be a list, not {Describe(node)}");
        var elementShape = TypeShape.Of(shape.ElementType);
        var result = new JsonArray();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            result.Add(Convert(sequence.Children[i], elementShape, FieldError.Index(path, i)));
        }

        return result;
    }

    private JsonObject? ConvertObject(YamlNode node, ObjectShape shape, string path)
    {
        if (node is not YamlMappingNode map) return (JsonObject?)Fail(node, path, $"must be a mapping, not {Describe(node)}");
        var result = new JsonObject();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = KeyText(keyNode);
            var name = shape.Aliases.GetValueOrDefault(key, key);
            var fieldPath = FieldError.Join(path, key);
            if (!shape.Properties.TryGetValue(name, out var property))
            {
                if (shape.KeepsUnknownFields) result[key] = YamlScalars.ToJson(valueNode);
                else if (_strict) Fail(keyNode, fieldPath, UnknownField(key, shape));
                continue;
            }

            if (seen.TryGetValue(name, out var first))
            {
                Fail(keyNode, fieldPath, $"set twice: \"{first}\" and \"{key}\" are the same field");
                continue;
            }

            seen[name] = key;
            var value = Convert(valueNode, TypeShape.Of(property.PropertyType), FieldError.Join(path, name));
            if (value is not null) result[name] = value;
        }

        foreach (var required in shape.Required.Where(r => !seen.ContainsKey(r)))
        {
            Fail(node, FieldError.Join(path, required), "required");
        }

        return result;
    }

    private static string UnknownField(string key, ObjectShape shape)
    {
        var names = shape.Properties.Keys.Concat(shape.Aliases.Keys);
        var closest = names.Select(n => (Name: n, Distance: Levenshtein.Distance(key.ToLowerInvariant(), n.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(2, c.Name.Length / 4))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return closest.Name is null ? "unknown field" : $"unknown field (did you mean \"{closest.Name}\"?)";
    }

    private static string KeyText(YamlNode key) => key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString();

    private static bool IsExplicitNull(YamlNode node) => node is YamlScalarNode s && YamlScalars.IsNull(s);

    private JsonNode? Fail(YamlNode node, string path, string reason)
    {
        _errors.Add(new FieldError(path, reason, node.Start.Line > 0 ? (int)node.Start.Line : null));
        return null;
    }

    private static string Describe(ScalarKind kind) => kind switch
    {
        ScalarKind.String => "a string",
        ScalarKind.Bool => "true or false",
        ScalarKind.Integer => "an integer",
        ScalarKind.Number => "a number",
        ScalarKind.Time => "an RFC 3339 time",
        _ => kind.ToString(),
    };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"\"{s.Value}\"",
        _ => node.NodeType.ToString(),
    };
}
