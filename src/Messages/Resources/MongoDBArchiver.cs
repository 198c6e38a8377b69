using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Archiver.Messages.Resources;

/// <summary>
/// Selects databases and says how they are backed up: full backups on a schedule, the oplog archived
/// continuously, into a backup storage under a per-database prefix.
/// </summary>
public sealed record MongoDBArchiver : Resource<MongoDBArchiverSpec, MongoDBArchiverStatus>
{
    public const string KindName = "MongoDBArchiver";
    public const string ApiVersionName = ApiGroups.ArchiverV1Alpha1;
}

public sealed record MongoDBArchiverSpec
{
    [JsonPropertyName("databases")] public DatabaseSelection? Databases { get; init; }
    /// <summary>Stops new work (no new ops requests, no new full backups); nothing in flight is lost.</summary>
    [JsonPropertyName("pause")] public bool? Pause { get; init; }
    [JsonPropertyName("retentionPolicy")] public ObjectRef? RetentionPolicy { get; init; }
    [JsonPropertyName("fullBackup")] public FullBackupOptions? FullBackup { get; init; }
    [JsonPropertyName("walBackup"), Alias("logBackup")] public WalBackupOptions? WalBackup { get; init; }
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    [JsonPropertyName("backupStorage"), RequiredField] public BackupStorageTarget? BackupStorage { get; init; }
    [JsonPropertyName("deletionPolicy")] public ArchiverDeletionPolicy? DeletionPolicy { get; init; }
}

public sealed record DatabaseSelection
{
    [JsonPropertyName("namespaces")] public NamespaceSelection? Namespaces { get; init; }
    /// <summary>Labels a database must carry; empty selects every database in the selected namespaces.</summary>
    [JsonPropertyName("selector")] public V1LabelSelector? Selector { get; init; }
}

/// <summary>Which namespaces a selection reaches, as KubeDB's and Gateway API's <c>from</c>.</summary>
public sealed record NamespaceSelection
{
    [JsonPropertyName("from")] public NamespaceFrom? From { get; init; }
    [JsonPropertyName("selector")] public V1LabelSelector? Selector { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<NamespaceFrom>))]
public enum NamespaceFrom
{
    /// <summary>Only the namespace of the selecting object (the default).</summary>
    Same,
    All,
    /// <summary>Namespaces whose labels match <c>selector</c>.</summary>
    Selector,
}

public sealed record FullBackupOptions
{
    [JsonPropertyName("driver")] public FullBackupDriver? Driver { get; init; }
    [JsonPropertyName("csiSnapshotter"), Alias("volumeSnapshotter")] public CsiSnapshotterOptions? CsiSnapshotter { get; init; }
    [JsonPropertyName("scheduler"), RequiredField] public SchedulerOptions? Scheduler { get; init; }
    /// <summary>Container and pod settings for the backup job, kept as given (KubeStash's RuntimeSettings).</summary>
    [JsonPropertyName("runtimeSettings")] public JsonElement? RuntimeSettings { get; init; }
    [JsonPropertyName("failurePolicy")] public FailurePolicy? FailurePolicy { get; init; }
    [JsonPropertyName("retryConfig")] public RetryConfig? RetryConfig { get; init; }
    /// <summary>Go duration after which a running backup is failed.</summary>
    [JsonPropertyName("timeout")] public string? Timeout { get; init; }
    [JsonPropertyName("sessionHistoryLimit")] public int? SessionHistoryLimit { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<FullBackupDriver>))]
public enum FullBackupDriver
{
    /// <summary>CSI volume snapshots of the data volumes (in a cluster).</summary>
    [Alias("VolumeSnapshotter")] CSISnapshotter,
    /// <summary>A consistent logical dump, which works everywhere.</summary>
    Logical,
}

public sealed record CsiSnapshotterOptions
{
    [JsonPropertyName("volumeSnapshotClassName"), RequiredField] public string VolumeSnapshotClassName { get; init; } = "";
}

public sealed record SchedulerOptions
{
    /// <summary>Five-field cron or a macro such as <c>@hourly</c>.</summary>
    [JsonPropertyName("schedule"), RequiredField] public string Schedule { get; init; } = "";
    [JsonPropertyName("concurrencyPolicy")] public ConcurrencyPolicy? ConcurrencyPolicy { get; init; }
    [JsonPropertyName("jobTemplate")] public JobTemplate? JobTemplate { get; init; }
    [JsonPropertyName("successfulJobsHistoryLimit")] public int? SuccessfulJobsHistoryLimit { get; init; }
    [JsonPropertyName("failedJobsHistoryLimit")] public int? FailedJobsHistoryLimit { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ConcurrencyPolicy>))]
public enum ConcurrencyPolicy
{
    Allow,
    /// <summary>Skip a run while the previous one is still active (the default).</summary>
    Forbid,
    Replace,
}

public sealed record JobTemplate
{
    [JsonPropertyName("parallelism")] public int? Parallelism { get; init; }
    [JsonPropertyName("completions")] public int? Completions { get; init; }
    [JsonPropertyName("backoffLimit")] public int? BackoffLimit { get; init; }
    [JsonPropertyName("podTemplate")] public PodTemplate? PodTemplate { get; init; }
}

/// <summary>The pod template of a backup job: the service account typed, everything else kept as given.</summary>
public sealed record PodTemplate
{
    [JsonPropertyName("serviceAccountName")] public string? ServiceAccountName { get; init; }
    [JsonExtensionData] public IDictionary<string, JsonElement>? Other { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<FailurePolicy>))]
public enum FailurePolicy
{
    /// <summary>A failed backup stays failed until the next scheduled run (the default).</summary>
    Fail,
    /// <summary>Retry up to <c>retryConfig.maxRetry</c> times, <c>retryConfig.delay</c> apart.</summary>
    Retry,
}

public sealed record RetryConfig
{
    [JsonPropertyName("maxRetry")] public int? MaxRetry { get; init; }
    /// <summary>Go duration between retries, such as <c>2m</c>.</summary>
    [JsonPropertyName("delay")] public string? Delay { get; init; }
}

/// <summary>Continuous oplog archiving (KubeDB calls it <c>logBackup</c>).</summary>
public sealed record WalBackupOptions
{
    [JsonPropertyName("runtimeSettings")] public JsonElement? RuntimeSettings { get; init; }
    [JsonPropertyName("config")] public WalBackupConfig? Config { get; init; }
    [JsonPropertyName("configSecret")] public ObjectRef? ConfigSecret { get; init; }
    /// <summary>How long oplog is kept when no kept backup needs it, such as <c>30d</c> (d, w, m, y).</summary>
    [JsonPropertyName("retentionPeriod")] public string? RetentionPeriod { get; init; }
    [JsonPropertyName("successfulLogHistoryLimit")] public int? SuccessfulLogHistoryLimit { get; init; }
    [JsonPropertyName("failedLogHistoryLimit")] public int? FailedLogHistoryLimit { get; init; }
}

/// <summary>
/// The oplog archiver's settings. Typed rather than a raw extension (the seed's open question): there is
/// one archiver implementation, and a typed block can be validated.
/// </summary>
public sealed record WalBackupConfig
{
    /// <summary>Cut a chunk at this many bytes (Kubernetes quantity, default <c>16Mi</c>).</summary>
    [JsonPropertyName("chunkMaxSize")] public string? ChunkMaxSize { get; init; }
    /// <summary>Cut a chunk when its first entry is this old (Go duration, default <c>1s</c>).</summary>
    [JsonPropertyName("chunkMaxAge")] public string? ChunkMaxAge { get; init; }
    /// <summary>
    /// While only no-ops arrive (an idle database: its replica set writes one every 10 s), cut a chunk this often
    /// instead of at every no-op (Go duration, default <c>5m</c>): an idle database costs 288 uploads a day, not 8,640.
    /// A write cuts at <c>chunkMaxAge</c> as ever; the recoverable window of an idle database ends at what was uploaded.
    /// </summary>
    [JsonPropertyName("idleFlushInterval")] public string? IdleFlushInterval { get; init; }
    /// <summary>Archiving lag above which the database's <c>Archiving</c> condition turns false (default <c>30s</c>).</summary>
    [JsonPropertyName("lagThreshold")] public string? LagThreshold { get; init; }
    /// <summary>Oplog headroom below which the <c>Archiving</c> condition turns false (default <c>1h</c>).</summary>
    [JsonPropertyName("headroomThreshold")] public string? HeadroomThreshold { get; init; }
}

public sealed record BackupStorageTarget
{
    [JsonPropertyName("ref"), RequiredField] public TypedObjectRef? Ref { get; init; }
    /// <summary>Per-database folder, expanded with <c>$APP_KIND</c>, <c>$APP_NAMESPACE</c> and <c>$APP_NAME</c>.</summary>
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>KubeStash's fixed sub-folder, placed before the prefix.</summary>
    [JsonPropertyName("subDir")] public string? SubDir { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ArchiverDeletionPolicy>))]
public enum ArchiverDeletionPolicy
{
    /// <summary>Disable archiving on every database and delete the resources; keep the backed-up data.</summary>
    Delete,
    /// <summary>Like Delete, and also delete every backed-up byte under the databases' prefixes.</summary>
    WipeOut,
    /// <summary>Leave databases, resources and data as they are.</summary>
    [Alias("Retain")] DoNotDelete,
}

public sealed record MongoDBArchiverStatus
{
    [JsonPropertyName("phase")] public ArchiverPhase? Phase { get; init; }
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
    [JsonPropertyName("databaseRefs")] public IReadOnlyList<ArchivedDatabaseRef>? DatabaseRefs { get; init; }
    /// <summary>How many databases the archiver selects: <c>databaseRefs</c> counted, for <c>kubectl get</c>'s column (a printer column's JSONPath cannot count).</summary>
    [JsonPropertyName("databases")] public int? Databases { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ArchiverPhase>))]
public enum ArchiverPhase
{
    /// <summary>Every selected database is configured with the archiver's current spec.</summary>
    Current,
    /// <summary>Ops requests are on their way to bring selected databases up to date.</summary>
    Progressing,
    /// <summary><c>spec.pause</c> is set: no new work is started.</summary>
    Paused,
    /// <summary>A database cannot be configured until a person acts (a Failed ops request, a refused usage policy).</summary>
    Blocked,
    /// <summary>The archiver is being deleted and its deletion policy is being carried out.</summary>
    Deleting,
}

/// <summary>A selected database and the ops request that configures it.</summary>
public sealed record ArchivedDatabaseRef
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("namespace")] public string Namespace { get; init; } = "";
    [JsonPropertyName("opsReqName")] public string? OpsReqName { get; init; }
    [JsonPropertyName("opsReqPhase")] public OpsRequestPhase? OpsReqPhase { get; init; }
}
