using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>A status condition with the fields of the Kubernetes API conventions (metav1.Condition).</summary>
public sealed record Condition
{
    [JsonPropertyName("type"), RequiredField] public string Type { get; init; } = "";
    [JsonPropertyName("status"), RequiredField] public ConditionStatus Status { get; init; } = ConditionStatus.Unknown;
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("lastTransitionTime")] public DateTimeOffset? LastTransitionTime { get; init; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ConditionStatus>))]
public enum ConditionStatus
{
    True,
    False,
    Unknown,
}
