using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Archiver.Messages.Manifests;

/// <summary>
/// JSON written as block YAML for files people read and diff (the CRDs): two-space indentation, lists of scalars
/// and small mappings of scalars in flow style on one line, and a string quoted (as a JSON string, which YAML reads
/// the same) unless it is plain text YAML cannot take for anything else.
/// </summary>
public static partial class YamlText
{
    private static readonly JsonSerializerOptions Quoting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    };

    public static string Write(JsonObject document)
    {
        var text = new StringBuilder();
        Mapping(text, document, 0);
        return text.ToString();
    }

    private static void Mapping(StringBuilder text, JsonObject map, int indent)
    {
        foreach (var (key, value) in map)
        {
            text.Append(' ', indent).Append(Scalar(key)).Append(':');
            Value(text, value, indent);
        }
    }

    private static void Value(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject map when map.Count > 0 && !IsFlow(map):
                text.Append('\n');
                Mapping(text, map, indent + 2);
                break;
            case JsonArray list when list.Count > 0 && !IsFlow(list):
                text.Append('\n');
                foreach (var item in list)
                {
                    text.Append(' ', indent + 2).Append("- ");
                    if (item is JsonObject itemMap && !IsFlow(itemMap))
                    {
                        // The item's first key on the dash's line, the others under it.
                        var first = true;
                        foreach (var (key, child) in itemMap)
                        {
                            if (!first) text.Append(' ', indent + 4);
                            first = false;
                            text.Append(Scalar(key)).Append(':');
                            Value(text, child, indent + 4);
                        }
                    }
                    else
                    {
                        text.Append(Flow(item)).Append('\n');
                    }
                }

                break;
            default:
                text.Append(' ').Append(Flow(value)).Append('\n');
                break;
        }
    }

    private static bool IsFlow(JsonNode node) => node switch
    {
        JsonObject map => map.Count == 0 || (map.Count <= 5 && map.All(p => p.Value is JsonValue && !(p.Value.GetValueKind() == JsonValueKind.String && p.Value.GetValue<string>().Length > 40))),
        JsonArray list => list.All(i => i is JsonValue),
        _ => true,
    };

    private static string Flow(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject map => "{" + string.Join(", ", map.Select(p => $"{Scalar(p.Key)}: {Flow(p.Value)}")) + "}",
        JsonArray list => "[" + string.Join(", ", list.Select(Flow)) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    private static string Scalar(string text) =>
        Plain().IsMatch(text) && !Reserved.Contains(text) ? text : JsonSerializer.Serialize(text, Quoting);

    // Text that reads back as the same string in block and flow context: no indicator first, no ': ', ' #', ',',
    // brackets or braces anywhere, not a number.
    [GeneratedRegex(@"^[A-Za-z_./$][A-Za-z0-9_./$ -]*(?<! )$")]
    private static partial Regex Plain();
}
