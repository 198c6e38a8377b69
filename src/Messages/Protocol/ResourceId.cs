using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Protocol;

/// <summary>A namespaced resource's identity, <c>namespace/name</c>: the entity id of its sharded actor.</summary>
[JsonConverter(typeof(ResourceIdJsonConverter))]
public readonly record struct ResourceId(string Namespace, string Name) : IComparable<ResourceId>
{
    public static ResourceId Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < text.Length - 1 && text.IndexOf('/', slash + 1) < 0
            ? new ResourceId(text[..slash], text[(slash + 1)..])
            : throw new FormatException($"\"{text}\" is not namespace/name");
    }

    public static ResourceId Of(Resources.Resource resource) =>
        new(resource.Metadata.NamespaceProperty ?? "default", resource.Metadata.Name ?? "");

    public int CompareTo(ResourceId other)
    {
        var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
    }

    public override string ToString() => $"{Namespace}/{Name}";
}

internal sealed class ResourceIdJsonConverter : JsonConverter<ResourceId>
{
    public override ResourceId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ResourceId.Parse(reader.GetString() ?? throw new JsonException("a resource id must be a string"));

    public override void Write(Utf8JsonWriter writer, ResourceId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    // Dictionaries keyed by resource id (an archiver's databases) write the id as the property name.
    public override ResourceId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ResourceId.Parse(reader.GetString() ?? throw new JsonException("a resource id must be a string"));

    public override void WriteAsPropertyName(Utf8JsonWriter writer, ResourceId value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}
