using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Archiver.Messages.Validation;
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

    /// <summary>How its full backups are taken: <c>spec.fullBackup.driver</c>, CSISnapshotter when unset (its default).</summary>
    public FullBackupDriver FullBackupDriver() => Spec?.FullBackup?.Driver ?? Resources.FullBackupDriver.CSISnapshotter;
}

/// <summary>Which databases an archiver backs up, how, and where to.</summary>
public sealed record MongoDBArchiverSpec
{
    /// <summary>Which MongoDB databases this archiver backs up: by namespace and by label. Unset selects every database in the archiver's namespace.</summary>
    [JsonPropertyName("databases")] public DatabaseSelection? Databases { get; init; }
    /// <summary>Stops new work (no new ops requests, no new full backups); nothing in flight is lost.</summary>
    [JsonPropertyName("pause")] public bool? Pause { get; init; }
    /// <summary>The RetentionPolicy that says how many full backups are kept; every oplog chunk a kept backup needs is kept with it.</summary>
    [JsonPropertyName("retentionPolicy")] public ObjectRef? RetentionPolicy { get; init; }
    /// <summary>Full backups: when they run (a cron schedule) and how they are taken (a CSI volume snapshot or a logical dump).</summary>
    [JsonPropertyName("fullBackup")] public FullBackupOptions? FullBackup { get; init; }
    /// <summary>Continuous oplog archiving between full backups, which makes every moment restorable. KubeDB spells it <c>logBackup</c>; both are read.</summary>
    [JsonPropertyName("walBackup"), Alias("logBackup")] public WalBackupOptions? WalBackup { get; init; }
    /// <summary>A Secret whose <c>key</c> (32 bytes, base64) encrypts what this archiver writes with AES-256-GCM.</summary>
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    /// <summary>The BackupStorage that receives the backups, and the folder in it for each database.</summary>
    [JsonPropertyName("backupStorage"), RequiredField] public BackupStorageTarget? BackupStorage { get; init; }
    /// <summary>What deleting the archiver does to its databases' archiving and to the backed-up data.</summary>
    [JsonPropertyName("deletionPolicy")] public ArchiverDeletionPolicy? DeletionPolicy { get; init; }
}

/// <summary>Which databases a selection reaches: the namespaces they may be in, and the labels they must carry.</summary>
public sealed record DatabaseSelection
{
    /// <summary>The namespaces whose databases may be selected; unset is the selecting object's own namespace.</summary>
    [JsonPropertyName("namespaces")] public NamespaceSelection? Namespaces { get; init; }
    /// <summary>Labels a database must carry; empty selects every database in the selected namespaces.</summary>
    [JsonPropertyName("selector")] public V1LabelSelector? Selector { get; init; }
}

/// <summary>Which namespaces a selection reaches, as KubeDB's and Gateway API's <c>from</c>.</summary>
public sealed record NamespaceSelection
{
    /// <summary>Same (the default), All, or Selector (the namespaces <c>selector</c> matches).</summary>
    [JsonPropertyName("from")] public NamespaceFrom? From { get; init; }
    /// <summary>The labels a namespace must carry; used only, and then required, when <c>from</c> is Selector.</summary>
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

/// <summary>When full backups run and how they are taken.</summary>
public sealed record FullBackupOptions
{
    /// <summary>How a full backup is taken. CSISnapshotter (the default; KubeDB's VolumeSnapshotter) snapshots a locked secondary's data volume and needs <c>csiSnapshotter</c>; Logical dumps the data, and works everywhere.</summary>
    [JsonPropertyName("driver"), DefaultValue(FullBackupDriver.CSISnapshotter)] public FullBackupDriver? Driver { get; init; }
    /// <summary>The CSI snapshot settings, required when <c>driver</c> is CSISnapshotter and refused otherwise. KubeDB spells it <c>volumeSnapshotter</c>; both are read.</summary>
    [JsonPropertyName("csiSnapshotter"), Alias("volumeSnapshotter")] public CsiSnapshotterOptions? CsiSnapshotter { get; init; }
    /// <summary>When full backups run.</summary>
    [JsonPropertyName("scheduler"), RequiredField] public SchedulerOptions? Scheduler { get; init; }
    /// <summary>Container and pod settings for the backup job, kept as given (KubeStash's RuntimeSettings).</summary>
    [JsonPropertyName("runtimeSettings")] public JsonElement? RuntimeSettings { get; init; }
    /// <summary>What happens after a failed backup: Fail (the default) waits for the next scheduled run, Retry retries as <c>retryConfig</c> says.</summary>
    [JsonPropertyName("failurePolicy"), DefaultValue(Resources.FailurePolicy.Fail)] public FailurePolicy? FailurePolicy { get; init; }
    /// <summary>How often and how far apart a failed backup is retried; only with <c>failurePolicy</c> Retry.</summary>
    [JsonPropertyName("retryConfig")] public RetryConfig? RetryConfig { get; init; }
    /// <summary>A Go duration (such as <c>2h</c>) after which a running backup is failed.</summary>
    [JsonPropertyName("timeout"), Pattern(GoDuration.SchemaPattern)] public string? Timeout { get; init; }
    /// <summary>How many finished backup sessions are kept for inspection.</summary>
    [JsonPropertyName("sessionHistoryLimit"), Minimum(0)] public int? SessionHistoryLimit { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<FullBackupDriver>))]
public enum FullBackupDriver
{
    /// <summary>CSI volume snapshots of the data volumes (in a cluster).</summary>
    [Alias("VolumeSnapshotter")] CSISnapshotter,
    /// <summary>A consistent logical dump, which works everywhere.</summary>
    Logical,
}

/// <summary>How a CSISnapshotter full backup snapshots a data volume.</summary>
public sealed record CsiSnapshotterOptions
{
    /// <summary>The VolumeSnapshotClass the data volume's snapshots are made with (its CSI driver must be the volume's).</summary>
    [JsonPropertyName("volumeSnapshotClassName"), RequiredField] public string VolumeSnapshotClassName { get; init; } = "";
}

/// <summary>A cron schedule and the jobs it starts, as a Kubernetes CronJob has them.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Five-field cron or a macro such as <c>@hourly</c>.</summary>
    [JsonPropertyName("schedule"), RequiredField] public string Schedule { get; init; } = "";
    /// <summary>What to do when a run is due while the previous one is still running: Allow, Forbid (the default) or Replace.</summary>
    [JsonPropertyName("concurrencyPolicy")] public ConcurrencyPolicy? ConcurrencyPolicy { get; init; }
    /// <summary>The job each run starts.</summary>
    [JsonPropertyName("jobTemplate")] public JobTemplate? JobTemplate { get; init; }
    /// <summary>How many successful jobs are kept.</summary>
    [JsonPropertyName("successfulJobsHistoryLimit"), Minimum(0)] public int? SuccessfulJobsHistoryLimit { get; init; }
    /// <summary>How many failed jobs are kept.</summary>
    [JsonPropertyName("failedJobsHistoryLimit"), Minimum(0)] public int? FailedJobsHistoryLimit { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ConcurrencyPolicy>))]
public enum ConcurrencyPolicy
{
    Allow,
    /// <summary>Skip a run while the previous one is still active (the default).</summary>
    Forbid,
    Replace,
}

/// <summary>The job a scheduled run starts, as a Kubernetes Job spec has it.</summary>
public sealed record JobTemplate
{
    /// <summary>How many of the job's pods may run at once.</summary>
    [JsonPropertyName("parallelism"), Minimum(1)] public int? Parallelism { get; init; }
    /// <summary>How many pods must succeed for the job to succeed.</summary>
    [JsonPropertyName("completions"), Minimum(1)] public int? Completions { get; init; }
    /// <summary>How many times a failed pod is retried before the job fails.</summary>
    [JsonPropertyName("backoffLimit"), Minimum(0)] public int? BackoffLimit { get; init; }
    /// <summary>The job's pod template.</summary>
    [JsonPropertyName("podTemplate")] public PodTemplate? PodTemplate { get; init; }
}

/// <summary>The pod template of a backup job: the service account typed, everything else kept as given.</summary>
public sealed record PodTemplate
{
    /// <summary>The service account the backup job's pods run as.</summary>
    [JsonPropertyName("serviceAccountName"), Pattern(KubernetesNames.OptionalSubdomainPattern)] public string? ServiceAccountName { get; init; }
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

/// <summary>How a failed backup is retried.</summary>
public sealed record RetryConfig
{
    /// <summary>How many times a failed backup is retried.</summary>
    [JsonPropertyName("maxRetry"), Minimum(0)] public int? MaxRetry { get; init; }
    /// <summary>Go duration between retries, such as <c>2m</c>.</summary>
    [JsonPropertyName("delay"), Pattern(GoDuration.SchemaPattern)] public string? Delay { get; init; }
}

/// <summary>Continuous oplog archiving (KubeDB calls it <c>logBackup</c>).</summary>
public sealed record WalBackupOptions
{
    /// <summary>Container settings for the archiving sidecar (resources, security context), kept as given (KubeStash's RuntimeSettings).</summary>
    [JsonPropertyName("runtimeSettings")] public JsonElement? RuntimeSettings { get; init; }
    /// <summary>How the oplog is cut into chunks, and when the database's <c>Archiving</c> condition turns false.</summary>
    [JsonPropertyName("config")] public WalBackupConfig? Config { get; init; }
    /// <summary>A Secret with further settings for the oplog archiver (KubeDB's field; kept and validated as a reference).</summary>
    [JsonPropertyName("configSecret")] public ObjectRef? ConfigSecret { get; init; }
    /// <summary>How long oplog is kept when no kept backup needs it, such as <c>30d</c> (d, w, m (months), y).</summary>
    [JsonPropertyName("retentionPeriod"), Pattern(Validation.RetentionPeriod.SchemaPatternWithoutHours)] public string? RetentionPeriod { get; init; }
    /// <summary>How many successful oplog archiving sessions are kept for inspection.</summary>
    [JsonPropertyName("successfulLogHistoryLimit"), Minimum(0)] public int? SuccessfulLogHistoryLimit { get; init; }
    /// <summary>How many failed oplog archiving sessions are kept for inspection.</summary>
    [JsonPropertyName("failedLogHistoryLimit"), Minimum(0)] public int? FailedLogHistoryLimit { get; init; }
}

/// <summary>
/// The oplog archiver's settings. Typed rather than a raw extension (the seed's open question): there is
/// one archiver implementation, and a typed block can be validated.
/// </summary>
public sealed record WalBackupConfig
{
    /// <summary>Cut a chunk at this many bytes (Kubernetes quantity, default <c>16Mi</c>).</summary>
    [JsonPropertyName("chunkMaxSize"), Pattern(ByteQuantity.SchemaPattern), JsonConverter(typeof(IntOrStringConverter))] public string? ChunkMaxSize { get; init; }
    /// <summary>Cut a chunk when its first entry is this old (Go duration, default <c>1s</c>).</summary>
    [JsonPropertyName("chunkMaxAge"), Pattern(GoDuration.SchemaPattern)] public string? ChunkMaxAge { get; init; }
    /// <summary>
    /// While only no-ops arrive (an idle database: its replica set writes one every 10 s), cut a chunk this often
    /// instead of at every no-op (Go duration, default <c>5m</c>): an idle database costs 288 uploads a day, not 8,640.
    /// A write cuts at <c>chunkMaxAge</c> as ever; the recoverable window of an idle database ends at what was uploaded.
    /// </summary>
    [JsonPropertyName("idleFlushInterval"), Pattern(GoDuration.SchemaPattern)] public string? IdleFlushInterval { get; init; }
    /// <summary>
    /// Oplog chunks older than this (Go duration, default <c>1h</c>) are merged into objects of up to 64 MiB: the
    /// recent past stays in the small chunks that give a 1-second RPO, the rest costs a few objects a day, not 86,400.
    /// Restores replay the same entries either way.
    /// </summary>
    [JsonPropertyName("compactAfter"), Pattern(GoDuration.SchemaPattern)] public string? CompactAfter { get; init; }
    /// <summary>Archiving lag (Go duration) above which the database's <c>Archiving</c> condition turns false (default <c>30s</c>).</summary>
    [JsonPropertyName("lagThreshold"), Pattern(GoDuration.SchemaPattern)] public string? LagThreshold { get; init; }
    /// <summary>Oplog headroom (Go duration) below which the <c>Archiving</c> condition turns false (default <c>1h</c>).</summary>
    [JsonPropertyName("headroomThreshold"), Pattern(GoDuration.SchemaPattern)] public string? HeadroomThreshold { get; init; }
}

/// <summary>Where an archiver's backups go: a BackupStorage, and a folder in it per database.</summary>
public sealed record BackupStorageTarget
{
    /// <summary>The BackupStorage (<c>storage.kubestash.com</c>); its namespace defaults to the archiver's.</summary>
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

/// <summary>What the archiver observed and did, written by Archiver.</summary>
public sealed record MongoDBArchiverStatus
{
    /// <summary>Where the archiver stands with its databases.</summary>
    [JsonPropertyName("phase")] public ArchiverPhase? Phase { get; init; }
    /// <summary>The <c>metadata.generation</c> of the spec this status describes.</summary>
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; init; }
    /// <summary>The archiver's conditions.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
    /// <summary>Every database the archiver selects, with the ops request that configures it.</summary>
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
    /// <summary>The database's name.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    /// <summary>The database's namespace.</summary>
    [JsonPropertyName("namespace")] public string Namespace { get; init; } = "";
    /// <summary>The MongoDBOpsRequest that configures (or last configured) the database.</summary>
    [JsonPropertyName("opsReqName")] public string? OpsReqName { get; init; }
    /// <summary>That ops request's phase.</summary>
    [JsonPropertyName("opsReqPhase")] public OpsRequestPhase? OpsReqPhase { get; init; }
}
