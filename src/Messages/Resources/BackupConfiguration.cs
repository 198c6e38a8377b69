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

/// <summary>A storage backups go to, under a name.</summary>
public sealed record BackendReference
{
    /// <summary>The backend's name, by which sessions' repositories refer to it.</summary>
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>The BackupStorage backups go to.</summary>
    [JsonPropertyName("storageRef"), RequiredField] public ObjectRef? StorageRef { get; init; }
    /// <summary>The RetentionPolicy applied to what is kept there.</summary>
    [JsonPropertyName("retentionPolicy")] public ObjectRef? RetentionPolicy { get; init; }
}

/// <summary>One kind of backup: when it runs, where it goes, and what takes it.</summary>
public sealed record BackupSessionConfig
{
    /// <summary>The session's name.</summary>
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>When the session runs.</summary>
    [JsonPropertyName("scheduler"), RequiredField] public SchedulerOptions? Scheduler { get; init; }
    /// <summary>Where the session's backups are written: one folder in one backend each.</summary>
    [JsonPropertyName("repositories"), RequiredField] public IReadOnlyList<RepositoryInfo>? Repositories { get; init; }
    /// <summary>What takes the backups: the full-backup driver and the oplog archiver, as KubeStash addon tasks.</summary>
    [JsonPropertyName("addon")] public AddonInfo? Addon { get; init; }
    /// <summary>What happens after a failed run: Fail waits for the next scheduled run, Retry retries as retryConfig says.</summary>
    [JsonPropertyName("failurePolicy")] public FailurePolicy? FailurePolicy { get; init; }
    /// <summary>How a failed run is retried.</summary>
    [JsonPropertyName("retryConfig")] public RetryConfig? RetryConfig { get; init; }
    /// <summary>Go duration after which a running session is failed.</summary>
    [JsonPropertyName("timeout"), Pattern(GoDuration.SchemaPattern)] public string? Timeout { get; init; }
    /// <summary>How many finished sessions are kept.</summary>
    [JsonPropertyName("sessionHistoryLimit"), Minimum(0)] public int? SessionHistoryLimit { get; init; }
}

/// <summary>A folder in a backend that holds one database's backups.</summary>
public sealed record RepositoryInfo
{
    /// <summary>The repository's name.</summary>
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>The name of one of the configuration's backends.</summary>
    [JsonPropertyName("backend"), RequiredField] public string Backend { get; init; } = "";
    /// <summary>The folder in the backend: the archiver's expanded prefix.</summary>
    [JsonPropertyName("directory"), RequiredField] public string Directory { get; init; } = "";
    /// <summary>A Secret whose key encrypts what is written to the repository.</summary>
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    /// <summary>What deleting the repository's Snapshots does to their data.</summary>
    [JsonPropertyName("deletionPolicy")] public SnapshotDeletionPolicy? DeletionPolicy { get; init; }
}

/// <summary>What does the backing up: the full-backup driver and the oplog archiver, as KubeStash addon tasks.</summary>
public sealed record AddonInfo
{
    /// <summary>The addon's name.</summary>
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>The addon's tasks that run in a session.</summary>
    [JsonPropertyName("tasks")] public IReadOnlyList<AddonTask>? Tasks { get; init; }
    /// <summary>Container settings for the tasks, kept as given.</summary>
    [JsonPropertyName("containerRuntimeSettings")] public JsonElement? ContainerRuntimeSettings { get; init; }
    /// <summary>Pod settings for the tasks' jobs, kept as given.</summary>
    [JsonPropertyName("jobTemplate")] public JsonElement? JobTemplate { get; init; }
}

/// <summary>One task of an addon, with its parameters.</summary>
public sealed record AddonTask
{
    /// <summary>The task's name.</summary>
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>The task's parameters.</summary>
    [JsonPropertyName("params")] public IDictionary<string, string>? Params { get; init; }
}

/// <summary>How the configuration stands, written by Archiver.</summary>
public sealed record BackupConfigurationStatus
{
    /// <summary>Ready, NotReady or Invalid.</summary>
    [JsonPropertyName("phase")] public BackupConfigurationPhase? Phase { get; init; }
    /// <summary>The <c>metadata.generation</c> this status describes.</summary>
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
    /// <summary>The configuration's conditions.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
    /// <summary>Whether the target database exists.</summary>
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
