using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Archiver.Messages.Resources;

/// <summary>
/// What every resource kind shares: the type header and the object metadata, so KubernetesClient can handle
/// our kinds like its own (<see cref="IKubernetesObject{TMetadata}"/>).
/// </summary>
public abstract record Resource : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion"), JsonPropertyOrder(-3)] public string ApiVersion { get; set; } = "";
    [JsonPropertyName("kind"), JsonPropertyOrder(-2)] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata"), JsonPropertyOrder(-1), RequiredField] public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary><c>Kind/namespace/name</c>, or <c>Kind/name</c> when the manifest leaves the namespace out.</summary>
    [JsonIgnore]
    public string DisplayName => string.IsNullOrEmpty(Metadata.NamespaceProperty)
        ? $"{Kind}/{Metadata.Name}"
        : $"{Kind}/{Metadata.NamespaceProperty}/{Metadata.Name}";
}

/// <summary>A resource with a desired state (spec) and an observed state (status).</summary>
public abstract record Resource<TSpec, TStatus> : Resource
    where TSpec : class
    where TStatus : class
{
    [JsonPropertyName("spec"), RequiredField] public TSpec? Spec { get; init; }
    [JsonPropertyName("status")] public TStatus? Status { get; init; }
}
