using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>A reference to a namespaced object of a kind the field implies (a Secret, a RetentionPolicy...).</summary>
public sealed record ObjectRef
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>Empty means the namespace of the object that holds the reference.</summary>
    [JsonPropertyName("namespace")] public string? Namespace { get; init; }

    public string NamespaceOr(string defaultNamespace) => string.IsNullOrEmpty(Namespace) ? defaultNamespace : Namespace;
}
