using Archiver.Messages.Validation;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>
/// KubeStash's backup plan for one target: where backups go (backends) and when they run (sessions).
/// Archiver creates one per configured database from its archiver's spec.
/// </summary>
public sealed record BackupConfiguration : Resource<BackupConfigurationSpec, BackupConfigurationStatus>
{
    public const string KindName = "BackupConfiguration";
    public const string ApiVersionName = ApiGroups.KubeStashCoreV1Alpha1;
}

/// <summary>The database backed up, where to, and when.</summary>
public sealed record BackupConfigurationSpec
{
    /// <summary>The database backed up.</summary>
    [JsonPropertyName("target"), RequiredField] public TypedObjectRef? Target { get; init; }
    /// <summary>The storages backups go to, each under a name the sessions refer to.</summary>
    [JsonPropertyName("backends"), RequiredField] public IReadOnlyList<BackendReference>? Backends { get; init; }
    /// <summary>When backups run and into which repositories.</summary>
    [JsonPropertyName("sessions"), RequiredField] public IReadOnlyList<BackupSessionConfig>? Sessions { get; init; }
    /// <summary>Stops new sessions.</summary>
    [JsonPropertyName("paused")] public bool? Paused { get; init; }
}

public sealed record BackendReference
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    [JsonPropertyName("storageRef"), RequiredField] public ObjectRef? StorageRef { get; init; }
    [JsonPropertyName("retentionPolicy")] public ObjectRef? RetentionPolicy { get; init; }
}

public sealed record BackupSessionConfig
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    [JsonPropertyName("scheduler"), RequiredField] public SchedulerOptions? Scheduler { get; init; }
    [JsonPropertyName("repositories"), RequiredField] public IReadOnlyList<RepositoryInfo>? Repositories { get; init; }
    [JsonPropertyName("addon")] public AddonInfo? Addon { get; init; }
    [JsonPropertyName("failurePolicy")] public FailurePolicy? FailurePolicy { get; init; }
    [JsonPropertyName("retryConfig")] public RetryConfig? RetryConfig { get; init; }
    /// <summary>Go duration after which a running session is failed.</summary>
    [JsonPropertyName("timeout"), Pattern(GoDuration.SchemaPattern)] public string? Timeout { get; init; }
    /// <summary>How many finished sessions are kept.</summary>
    [JsonPropertyName("sessionHistoryLimit"), Minimum(0)] public int? SessionHistoryLimit { get; init; }
}

public sealed record RepositoryInfo
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>The name of one of the configuration's backends.</summary>
    [JsonPropertyName("backend"), RequiredField] public string Backend { get; init; } = "";
    /// <summary>The folder in the backend: the archiver's expanded prefix.</summary>
    [JsonPropertyName("directory"), RequiredField] public string Directory { get; init; } = "";
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    [JsonPropertyName("deletionPolicy")] public SnapshotDeletionPolicy? DeletionPolicy { get; init; }
}

/// <summary>What does the backing up: the full-backup driver and the oplog archiver, as KubeStash addon tasks.</summary>
public sealed record AddonInfo
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    [JsonPropertyName("tasks")] public IReadOnlyList<AddonTask>? Tasks { get; init; }
    [JsonPropertyName("containerRuntimeSettings")] public JsonElement? ContainerRuntimeSettings { get; init; }
    [JsonPropertyName("jobTemplate")] public JsonElement? JobTemplate { get; init; }
}

public sealed record AddonTask
{
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    [JsonPropertyName("params")] public IDictionary<string, string>? Params { get; init; }
}

public sealed record BackupConfigurationStatus
{
    [JsonPropertyName("phase")] public BackupConfigurationPhase? Phase { get; init; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
    [JsonPropertyName("targetFound")] public bool? TargetFound { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<BackupConfigurationPhase>))]
public enum BackupConfigurationPhase
{
    NotReady,
    Ready,
    /// <summary>The configuration cannot work as written (a missing backend, a bad schedule).</summary>
    Invalid,
}
