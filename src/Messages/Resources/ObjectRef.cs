using Archiver.Messages.Validation;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>A reference to a namespaced object of a kind the field implies (a Secret, a RetentionPolicy...).</summary>
public sealed record ObjectRef
{
    /// <summary>The object's name.</summary>
    [JsonPropertyName("name"), RequiredField, Pattern(KubernetesNames.OptionalSubdomainPattern)] public string Name { get; init; } = "";
    /// <summary>The object's namespace; empty means the namespace of the object that holds the reference.</summary>
    [JsonPropertyName("namespace"), Pattern(KubernetesNames.OptionalLabelPattern)] public string? Namespace { get; init; }

    public string NamespaceOr(string defaultNamespace) => string.IsNullOrEmpty(Namespace) ? defaultNamespace : Namespace;
}
