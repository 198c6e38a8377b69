using System.Globalization;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The <c>meta.k8s.io/v1</c> Table a client gets when it asks for one (kubectl's default output:
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>): Name, then the kind's columns, each row with its
/// cells and, by <c>includeObject</c>, the object's metadata (the default), the whole object, or nothing.
/// Date columns are rendered as ages the way apimachinery's <c>duration.HumanDuration</c> does.
/// </summary>
internal static class Tables
{
    private static readonly JsonObject NameColumn = new()
    {
        ["name"] = "Name",
        ["type"] = "string",
        ["format"] = "name",
        ["description"] = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        ["priority"] = 0,
    };

    /// <summary>Does the Accept header ask for a Table (kubectl lists it first, then plain JSON as a fallback)?</summary>
    public static bool Wanted(string? accept) =>
        accept is not null && accept.Split(',')[0].Contains("as=Table", StringComparison.Ordinal);

    public static JsonObject Of(ResourceType type, IEnumerable<JsonObject> items, string resourceVersion, string includeObject, DateTimeOffset now) => new()
    {
        ["kind"] = "Table",
        ["apiVersion"] = "meta.k8s.io/v1",
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
        ["columnDefinitions"] = Columns(type),
        ["rows"] = new JsonArray([.. items.Select(i => (JsonNode)Row(type, i, includeObject, now))]),
    };

    private static JsonArray Columns(ResourceType type) => new([.. new[] { (JsonNode)NameColumn.DeepClone() }.Concat(type.Columns.Select(c => (JsonNode)new JsonObject
    {
        ["name"] = c.Name,
        ["type"] = c.Type,
        ["format"] = c.Format,
        ["description"] = c.Description,
        ["priority"] = c.Priority,
    }))]);

    private static JsonObject Row(ResourceType type, JsonObject item, string includeObject, DateTimeOffset now)
    {
        var cells = new JsonArray(item["metadata"]?["name"]?.DeepClone());
        foreach (var column in type.Columns) cells.Add(Cell(column, item, now));
        var row = new JsonObject { ["cells"] = cells };
        switch (includeObject)
        {
            case "None":
                break;
            case "Object":
                row["object"] = item.DeepClone();
                break;
            default:
                row["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = item["metadata"]?.DeepClone(),
                };
                break;
        }

        return row;
    }

    private static JsonNode? Cell(PrinterColumn column, JsonObject item, DateTimeOffset now)
    {
        var value = column.Compute is { } compute ? compute(item) : JsonPath.Find(item, column.JsonPath).FirstOrDefault();
        if (value is null) return null;
        return column.Type switch
        {
            "date" => DateTimeOffset.TryParse(JsonPath.Text(value), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? HumanDuration(now - at) : null,
            "integer" or "number" or "boolean" => value is JsonValue ? value.DeepClone() : null,
            _ => JsonPath.Text(value),
        };
    }

    /// <summary>An age as kubectl prints it (apimachinery <c>pkg/util/duration/duration.go</c>, HumanDuration).</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 120) return $"{seconds}s";
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10) return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        if (minutes < 180) return $"{minutes}m";
        var hours = (long)d.TotalHours;
        if (hours < 8) return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        if (hours < 48) return $"{hours}h";
        if (hours < 24 * 8) return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        if (hours < 24 * 365 * 2) return $"{hours / 24}d";
        if (hours < 24 * 365 * 8) return (hours / 24) % 365 == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{(hours / 24) % 365}d";
        return $"{hours / 24 / 365}y";
    }
}
