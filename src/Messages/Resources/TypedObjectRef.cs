using Archiver.Messages.Validation;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>A reference that names its kind, as KubeStash's TypedObjectReference does.</summary>
public sealed record TypedObjectRef
{
    /// <summary>The API group of the object's kind; empty is the group the field implies.</summary>
    [JsonPropertyName("apiGroup")] public string? ApiGroup { get; init; }
    /// <summary>The object's kind; empty is the kind the field implies.</summary>
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    /// <summary>The object's name.</summary>
    [JsonPropertyName("name"), RequiredField, Pattern(KubernetesNames.OptionalSubdomainPattern)] public string Name { get; init; } = "";
    /// <summary>The object's namespace; empty means the namespace of the object that holds the reference.</summary>
    [JsonPropertyName("namespace"), Pattern(KubernetesNames.OptionalLabelPattern)] public string? Namespace { get; init; }
}
