using System.Text.Json.Serialization;

namespace Archiver.Host.Admission;

/// <summary>
/// A refusal's details as metav1.StatusDetails carries them (kubernetes/apimachinery <c>pkg/apis/meta/v1/types.go</c>):
/// the object and one cause per field, which the API server passes through to the client.
/// </summary>
public sealed record AdmissionStatusDetails
{
    [JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Name { get; init; }
    [JsonPropertyName("group"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Group { get; init; }
    [JsonPropertyName("kind"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Kind { get; init; }
    [JsonPropertyName("causes")] public IReadOnlyList<AdmissionStatusCause> Causes { get; init; } = [];
}
