using System.Text.Json.Serialization;

namespace Archiver.Host.Admission;

/// <summary>One field refused (metav1.StatusCause): <c>reason</c> as the API server names it (<c>FieldValueInvalid</c>), the field path, why.</summary>
public sealed record AdmissionStatusCause
{
    [JsonPropertyName("reason")] public string Reason { get; init; } = "FieldValueInvalid";
    [JsonPropertyName("message")] public string Message { get; init; } = "";
    [JsonPropertyName("field")] public string Field { get; init; } = "";
}
