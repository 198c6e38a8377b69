using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.Api;

/// <summary>Small readers for the untyped objects the stand-in handles (it speaks JSON, as the API server does).</summary>
internal static class J
{
    public static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node is JsonValue n && n.GetValueKind() is JsonValueKind.Number ? n.ToJsonString() : "";

    public static int Int(JsonNode? node, int fallback) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : node is JsonValue s && s.TryGetValue<string>(out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out var parsed) ? parsed : fallback;

    public static bool Bool(JsonNode? node, bool fallback) => node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : fallback;

    public static string Name(JsonObject item) => Text(item["metadata"]?["name"]);

    public static string Namespace(JsonObject item) => Text(item["metadata"]?["namespace"]);

    public static string Uid(JsonObject item) => Text(item["metadata"]?["uid"]);

    public static bool Deleting(JsonObject item) => item["metadata"]?["deletionTimestamp"] is not null;

    public static Dictionary<string, string> Map(JsonNode? node) =>
        (node as JsonObject ?? []).Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => Text(p.Value), StringComparer.Ordinal);

    public static Dictionary<string, string> Labels(JsonObject item) => Map(item["metadata"]?["labels"]);

    public static IEnumerable<JsonObject> Objects(JsonNode? node) => (node as JsonArray ?? []).OfType<JsonObject>();

    public static JsonObject Object(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var result = new JsonObject();
        foreach (var (key, value) in pairs) result[key] = value;
        return result;
    }

    /// <summary>The owner reference a controller puts on what it makes (<c>controller: true</c>, <c>blockOwnerDeletion: true</c>).</summary>
    public static JsonObject ControllerReference(JsonObject owner) => new()
    {
        ["apiVersion"] = Text(owner["apiVersion"]),
        ["kind"] = Text(owner["kind"]),
        ["name"] = Name(owner),
        ["uid"] = Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>The uid of the object's controller (its owner reference with <c>controller: true</c>), or "".</summary>
    public static string ControllerUid(JsonObject item) =>
        Objects(item["metadata"]?["ownerReferences"]).FirstOrDefault(r => Bool(r["controller"], false)) is { } owner ? Text(owner["uid"]) : "";

    /// <summary>
    /// Whether <paramref name="labels"/> match a <c>metav1.LabelSelector</c> (matchLabels and matchExpressions with In,
    /// NotIn, Exists, DoesNotExist). A null selector matches nothing, an empty one everything, as for workloads.
    /// </summary>
    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not JsonObject s) return false;
        foreach (var (key, value) in Map(s["matchLabels"]))
        {
            if (labels.GetValueOrDefault(key) != value) return false;
        }

        foreach (var expression in Objects(s["matchExpressions"]))
        {
            var key = Text(expression["key"]);
            var values = (expression["values"] as JsonArray ?? []).Select(Text).ToHashSet(StringComparer.Ordinal);
            var has = labels.TryGetValue(key, out var actual);
            var ok = Text(expression["operator"]) switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }

        return true;
    }

    /// <summary>A Service's selector: a plain map, all of which must match; none selects nothing.</summary>
    public static bool SelectsMap(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        var wanted = Map(selector);
        return wanted.Count > 0 && wanted.All(p => labels.GetValueOrDefault(p.Key) == p.Value);
    }

    public static string Now(TimeProvider time) => Time(time.GetUtcNow());

    /// <summary>A <c>metav1.Time</c> as the API serializes it: RFC 3339 in UTC, to the second.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
