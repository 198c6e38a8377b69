using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>A status condition with the fields of the Kubernetes API conventions (metav1.Condition).</summary>
public sealed record Condition
{
    /// <summary>What the condition is about, in CamelCase.</summary>
    [JsonPropertyName("type"), RequiredField] public string Type { get; init; } = "";
    /// <summary>True, False or Unknown.</summary>
    [JsonPropertyName("status"), RequiredField] public ConditionStatus Status { get; init; } = ConditionStatus.Unknown;
    /// <summary>Why the condition last changed, in CamelCase.</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    /// <summary>The cause, in one line for a person.</summary>
    [JsonPropertyName("message")] public string? Message { get; init; }
    /// <summary>When the status last changed.</summary>
    [JsonPropertyName("lastTransitionTime")] public DateTimeOffset? LastTransitionTime { get; init; }
    /// <summary>The <c>metadata.generation</c> the condition was set for.</summary>
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ConditionStatus>))]
public enum ConditionStatus
{
    True,
    False,
    Unknown,
}
