using System.Globalization;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The patch formats every kind accepts: JSON merge patch (RFC 7386, <c>application/merge-patch+json</c>) and JSON
/// patch (RFC 6902, <c>application/json-patch+json</c>). The strategic merge patch of built-in kinds is
/// <see cref="StrategicMergePatch"/>.
/// </summary>
internal static class Patches
{
    public const string Merge = "application/merge-patch+json";
    public const string Json = "application/json-patch+json";
    public const string Strategic = "application/strategic-merge-patch+json";
    public const string Apply = "application/apply-patch+yaml";

    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null) result.Remove(name);
            else result[name] = MergePatch(result[name]?.DeepClone(), value);
        }

        return result;
    }

    /// <summary>
    /// RFC 6902 operations in order; a failing one fails the whole patch with a 422, as the API server answers a
    /// JSON patch it cannot apply (apiserver <c>pkg/endpoints/handlers/patch.go</c>).
    /// </summary>
    public static JsonNode JsonPatch(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document.DeepClone() };
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = ObjectTable.Text(operation["op"]);
            var path = "/doc" + ObjectTable.Text(operation["path"]);
            switch (op)
            {
                case "add": Add(root, path, operation["value"]?.DeepClone()); break;
                case "remove": Remove(root, path); break;
                case "replace": Remove(root, path); Add(root, path, operation["value"]?.DeepClone()); break;
                case "move":
                    var moved = Remove(root, "/doc" + ObjectTable.Text(operation["from"]));
                    Add(root, path, moved);
                    break;
                case "copy": Add(root, path, Read(root, "/doc" + ObjectTable.Text(operation["from"]))?.DeepClone()); break;
                case "test":
                    if (!JsonNode.DeepEquals(Read(root, path), operation["value"])) throw Failed($"testing value {operation["path"]} failed: test failed");
                    break;
                default: throw Failed($"Unexpected kind: {op}");
            }
        }

        return root["doc"]!.DeepClone();
    }

    private static ApiError Failed(string message) => new(422, "Invalid", message);

    private static (JsonNode Parent, string Last) Locate(JsonObject root, string pointer)
    {
        var tokens = pointer.Split('/')[1..].Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode node = root;
        foreach (var token in tokens[..^1])
        {
            node = node switch
            {
                JsonObject o when o[token] is { } child => child,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count && a[i] is { } item => item,
                _ => throw Failed($"doc is missing path: {pointer[4..]}"),
            };
        }

        return (node, tokens[^1]);
    }

    private static JsonNode? Read(JsonObject root, string pointer)
    {
        var (parent, last) = Locate(root, pointer);
        return parent switch
        {
            JsonObject o when o.ContainsKey(last) => o[last],
            JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
            _ => throw Failed($"doc is missing path: {pointer[4..]}"),
        };
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value)
    {
        var (parent, last) = Locate(root, pointer);
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count: a.Insert(i, value); break;
            default: throw Failed($"add operation does not apply: doc is missing path: \"{pointer[4..]}\": missing value");
        }
    }

    private static JsonNode? Remove(JsonObject root, string pointer)
    {
        var (parent, last) = Locate(root, pointer);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                var value = o[last];
                o.Remove(last);
                return value;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                var item = a[i];
                a.RemoveAt(i);
                return item;
            default:
                throw Failed($"remove operation does not apply: doc is missing path: \"{pointer[4..]}\": missing value");
        }
    }
}
