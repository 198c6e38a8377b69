using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>A reference that names its kind, as KubeStash's TypedObjectReference does.</summary>
public sealed record TypedObjectRef
{
    [JsonPropertyName("apiGroup")] public string? ApiGroup { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    [JsonPropertyName("namespace")] public string? Namespace { get; init; }
}
