using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Archiver.Messages.Manifests;

/// <summary>
/// How a YAML scalar reads when nothing says its type: the YAML 1.2 core schema. A quoted scalar is always a
/// string; a plain one may be null, a boolean or a number. Used for fields kept as free-form data, and by the
/// writer to know which strings must be quoted to read back as strings.
/// </summary>
internal static partial class YamlScalars
{
    public static bool IsPlain(YamlScalarNode node) => node.Style is ScalarStyle.Plain or ScalarStyle.Any && !HasStringTag(node);

    public static bool IsNull(YamlScalarNode node) => IsPlain(node) && IsNullText(node.Value ?? "");

    public static bool IsNullText(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    public static bool TryBool(string text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE": value = true; return true;
            case "false" or "False" or "FALSE": value = false; return true;
            default: value = false; return false;
        }
    }

    public static bool IsInteger(string text) => IntegerPattern().IsMatch(text);

    public static bool IsFloat(string text) => FloatPattern().IsMatch(text);

    /// <summary>Whether a string written plain would read back as something else than that string.</summary>
    public static bool NeedsQuotes(string text) =>
        IsNullText(text) || TryBool(text, out _) || IsInteger(text) || IsFloat(text)
        || text.Trim() != text || AmbiguousNumber().IsMatch(text);

    /// <summary>Free-form YAML to JSON under the core schema.</summary>
    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlScalarNode s when IsNull(s) => null,
        YamlScalarNode s when IsPlain(s) && TryBool(s.Value!, out var b) => JsonValue.Create(b),
        YamlScalarNode s when IsPlain(s) && (IsInteger(s.Value!) || IsFloat(s.Value!)) => Number(s.Value!),
        YamlScalarNode s => JsonValue.Create(s.Value ?? ""),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlMappingNode map => ToObject(map),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    /// <summary>A number node that keeps the exact digits written (1.50 stays 1.50).</summary>
    public static JsonNode Number(string text) =>
        JsonNode.Parse(text.StartsWith('+') ? text[1..] : text)!;

    public static bool TryInt64(string text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && IsInteger(text);

    private static JsonObject ToObject(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            obj[key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString()] = ToJson(value);
        }

        return obj;
    }

    private static bool HasStringTag(YamlScalarNode node) => !node.Tag.IsEmpty && node.Tag.Value == "tag:yaml.org,2002:str";

    // JSON numbers only: no leading zeros, no hex or octal, which JSON cannot carry.
    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    // What other YAML readers (YAML 1.1, Go's) take for numbers, booleans or times: infinities, leading zeros,
    // hex, octal, underscores, yes/no/on/off, and dates (kubectl reads a plain 2020-10-28T... as a timestamp).
    [GeneratedRegex(@"^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$|^[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?$|^0[xXoO][0-9a-fA-F]+$|^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")]
    private static partial Regex AmbiguousNumber();
}
