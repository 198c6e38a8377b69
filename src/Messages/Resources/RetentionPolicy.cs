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

/// <summary>How many full backups are kept, and for how long.</summary>
public sealed record RetentionPolicySpec
{
    /// <summary>Anything younger than this is kept, whatever the counts say (<c>30d</c>; units h, d, w, m, y).</summary>
    [JsonPropertyName("maxRetentionPeriod"), Pattern(Validation.RetentionPeriod.SchemaPattern)] public string? MaxRetentionPeriod { get; init; }
    /// <summary>How many successful full backups are kept.</summary>
    [JsonPropertyName("successfulSnapshots")] public SuccessfulSnapshotsKeepPolicy? SuccessfulSnapshots { get; init; }
    /// <summary>How many failed full backups are kept.</summary>
    [JsonPropertyName("failedSnapshots")] public FailedSnapshotsKeepPolicy? FailedSnapshots { get; init; }
    /// <summary>Which namespaces may use this policy.</summary>
    [JsonPropertyName("usagePolicy")] public UsagePolicy? UsagePolicy { get; init; }
    /// <summary>Used when an archiver names no retention policy.</summary>
    [JsonPropertyName("default")] public bool? Default { get; init; }
}

/// <summary>How many successful full backups to keep: the newest <c>last</c>, and one per hour, day... for the rest.</summary>
public sealed record SuccessfulSnapshotsKeepPolicy
{
    /// <summary>The newest this many are kept.</summary>
    [JsonPropertyName("last"), Minimum(0)] public int? Last { get; init; }
    /// <summary>The newest of each of this many hours are kept.</summary>
    [JsonPropertyName("hourly"), Minimum(0)] public int? Hourly { get; init; }
    /// <summary>The newest of each of this many days are kept.</summary>
    [JsonPropertyName("daily"), Minimum(0)] public int? Daily { get; init; }
    /// <summary>The newest of each of this many weeks are kept.</summary>
    [JsonPropertyName("weekly"), Minimum(0)] public int? Weekly { get; init; }
    /// <summary>The newest of each of this many months are kept.</summary>
    [JsonPropertyName("monthly"), Minimum(0)] public int? Monthly { get; init; }
    /// <summary>The newest of each of this many years are kept.</summary>
    [JsonPropertyName("yearly"), Minimum(0)] public int? Yearly { get; init; }
}

/// <summary>How many failed full backups to keep.</summary>
public sealed record FailedSnapshotsKeepPolicy
{
    /// <summary>How many failed full backups to keep for diagnosis (default 1).</summary>
    [JsonPropertyName("last"), Minimum(0)] public int? Last { get; init; }
}

/// <summary>How the policy stands.</summary>
public sealed record RetentionPolicyStatus
{
    /// <summary>The policy's conditions.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
}
