using System.Globalization;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The simple JSONPath a CRD's additionalPrinterColumns use (apiextensions-apiserver validates them to be simple):
/// <c>.a.b</c>, <c>.a[0]</c>, <c>.a[*].b</c> and one filter <c>.a[?(@.type=="Ready")].status</c>, with an optional
/// <c>{...}</c> around it. Returns every match in order; the table takes the first, as its convertor does.
/// </summary>
internal static class JsonPath
{
    public static List<JsonNode> Find(JsonNode? root, string path)
    {
        var text = path.Trim();
        if (text.StartsWith('{') && text.EndsWith('}')) text = text[1..^1];
        if (text.StartsWith('$')) text = text[1..];
        List<JsonNode> current = root is null ? [] : [root];
        var at = 0;
        while (at < text.Length && current.Count > 0)
        {
            if (text[at] == '.')
            {
                var end = at + 1;
                while (end < text.Length && text[end] is not '.' and not '[') end++;
                var field = text[(at + 1)..end];
                current = [.. current.OfType<JsonObject>().Select(o => o[field]).OfType<JsonNode>()];
                at = end;
            }
            else if (text[at] == '[')
            {
                var end = text.IndexOf(']', at);
                if (end < 0) return [];
                var inner = text[(at + 1)..end];
                current = inner switch
                {
                    "*" => [.. current.SelectMany(Children)],
                    _ when inner.StartsWith("?(", StringComparison.Ordinal) => [.. current.OfType<JsonArray>().SelectMany(a => a).OfType<JsonNode>().Where(e => Matches(e, inner[2..^1]))],
                    _ when int.TryParse(inner, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) =>
                        [.. current.OfType<JsonArray>().Select(a => index >= 0 && index < a.Count ? a[index] : index < 0 && -index <= a.Count ? a[a.Count + index] : null).OfType<JsonNode>()],
                    _ => [.. current.OfType<JsonObject>().Select(o => o[inner.Trim('\'', '"')]).OfType<JsonNode>()],
                };
                at = end + 1;
            }
            else
            {
                return [];
            }
        }

        return current;
    }

    private static IEnumerable<JsonNode> Children(JsonNode node) => node switch
    {
        JsonArray a => a.OfType<JsonNode>(),
        JsonObject o => o.Select(p => p.Value).OfType<JsonNode>(),
        _ => [],
    };

    // @.field=="value", @.field!="value", or @.field (present).
    private static bool Matches(JsonNode element, string condition)
    {
        foreach (var op in new[] { "==", "!=" })
        {
            var split = condition.IndexOf(op, StringComparison.Ordinal);
            if (split < 0) continue;
            var left = Find(element, condition[..split].Trim().TrimStart('@')).FirstOrDefault();
            var right = condition[(split + 2)..].Trim().Trim('"', '\'');
            var equal = left is JsonValue value && Text(value) == right;
            return op == "==" ? equal : !equal;
        }

        return Find(element, condition.Trim().TrimStart('@')).Count > 0;
    }

    /// <summary>How a string column prints a value: strings bare, everything else as JSON.</summary>
    public static string Text(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();
}
