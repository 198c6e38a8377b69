using System.Text.Json.Nodes;

namespace Archiver.Messages.Manifests;

/// <summary>One of a CRD version's <c>additionalPrinterColumns</c>: a column of <c>kubectl get</c> (priority 1: only with <c>-o wide</c>).</summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, int Priority = 0)
{
    /// <summary>The object's age, the column every kind ends with.</summary>
    public static PrinterColumn Age { get; } = new("Age", "date", ".metadata.creationTimestamp");

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["name"] = Name, ["type"] = Type, ["jsonPath"] = JsonPath };
        if (Priority != 0) json["priority"] = Priority;
        return json;
    }
}
