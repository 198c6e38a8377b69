using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Messages.Resources;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Archiver.Messages.Manifests;

/// <summary>
/// Writes resources as KubernetesJson serialises them, either as indented JSON or as YAML made from that JSON,
/// so both carry exactly the same fields. A string that YAML would read as something else (<c>"true"</c>,
/// <c>"6.0"</c>, <c>""</c>) is quoted, so what is written reads back equal.
/// </summary>
public static class ManifestWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonNode ToJsonNode(Resource resource) => JsonNode.Parse(KubernetesJson.Serialize(resource))!;

    public static string ToJson(Resource resource) => ToJsonNode(resource).ToJsonString(Indented) + "\n";

    /// <summary>Several resources as one JSON document: a <c>v1 List</c>, as kubectl writes it.</summary>
    public static string ToJson(IEnumerable<Resource> resources)
    {
        var list = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray([.. resources.Select(ToJsonNode)]),
        };
        return list.ToJsonString(Indented) + "\n";
    }

    public static string ToYaml(Resource resource) => ToYaml([resource]);

    /// <summary>Several resources as multi-document YAML, one document each.</summary>
    public static string ToYaml(IEnumerable<Resource> resources)
    {
        using var writer = new StringWriter();
        var emitter = new Emitter(writer, bestIndent: 2, bestWidth: int.MaxValue);
        emitter.Emit(new StreamStart());
        foreach (var resource in resources)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            Emit(emitter, ToJsonNode(resource));
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    /// <summary>Any JSON as one YAML document without its start marker (a section of a resource, as <c>describe</c> shows it).</summary>
    public static string ToYaml(JsonNode node)
    {
        using var writer = new StringWriter();
        var emitter = new Emitter(writer, bestIndent: 2, bestWidth: int.MaxValue);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, node);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in array) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            default:
                // Numbers, true and false: their JSON text is also their plain YAML text.
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        var style = text.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal
            : YamlScalars.NeedsQuotes(text) ? ScalarStyle.DoubleQuoted
            : ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, text, style, isPlainImplicit: true, isQuotedImplicit: true));
    }
}
