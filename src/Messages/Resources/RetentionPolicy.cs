using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>
/// How long backups are kept. Archiver applies it as one recovery window over full backups and oplog
/// together: an oplog chunk goes only when no kept backup needs it.
/// </summary>
public sealed record RetentionPolicy : Resource<RetentionPolicySpec, RetentionPolicyStatus>
{
    public const string KindName = "RetentionPolicy";
    public const string ApiVersionName = ApiGroups.KubeStashStorageV1Alpha1;
}

public sealed record RetentionPolicySpec
{
    /// <summary>Anything younger than this is kept, whatever the counts say (<c>30d</c>; units h, d, w, m, y).</summary>
    [JsonPropertyName("maxRetentionPeriod")] public string? MaxRetentionPeriod { get; init; }
    [JsonPropertyName("successfulSnapshots")] public SuccessfulSnapshotsKeepPolicy? SuccessfulSnapshots { get; init; }
    [JsonPropertyName("failedSnapshots")] public FailedSnapshotsKeepPolicy? FailedSnapshots { get; init; }
    [JsonPropertyName("usagePolicy")] public UsagePolicy? UsagePolicy { get; init; }
    [JsonPropertyName("default")] public bool? Default { get; init; }
}

/// <summary>How many successful full backups to keep: the newest <c>last</c>, and one per hour, day... for the rest.</summary>
public sealed record SuccessfulSnapshotsKeepPolicy
{
    [JsonPropertyName("last")] public int? Last { get; init; }
    [JsonPropertyName("hourly")] public int? Hourly { get; init; }
    [JsonPropertyName("daily")] public int? Daily { get; init; }
    [JsonPropertyName("weekly")] public int? Weekly { get; init; }
    [JsonPropertyName("monthly")] public int? Monthly { get; init; }
    [JsonPropertyName("yearly")] public int? Yearly { get; init; }
}

public sealed record FailedSnapshotsKeepPolicy
{
    /// <summary>How many failed full backups to keep for diagnosis (default 1).</summary>
    [JsonPropertyName("last")] public int? Last { get; init; }
}

public sealed record RetentionPolicyStatus
{
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
}
