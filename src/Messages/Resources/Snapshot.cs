using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>
/// The seed's ArchiveInfo: what a repository holds for one database — per component, where its data lives
/// and which time range its archived oplog covers. The seed puts <c>snapshotTime</c> and <c>components</c>
/// in the spec and we follow it; the phase and statistics are status.
/// </summary>
public sealed record Snapshot : Resource<SnapshotSpec, SnapshotStatus>
{
    public const string KindName = "Snapshot";
    public const string ApiVersionName = ApiGroups.KubeStashStorageV1Alpha1;
}

/// <summary>Which database's backup this is, where it is kept, and what it holds.</summary>
public sealed record SnapshotSpec
{
    /// <summary>The format version of the data the snapshot refers to.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }
    /// <summary>The snapshot's id in its repository.</summary>
    [JsonPropertyName("snapshotID")] public string? SnapshotId { get; init; }
    /// <summary>FullBackup (one full backup) or IncrementalBackup (the database's archived oplog).</summary>
    [JsonPropertyName("type"), RequiredField] public SnapshotType? Type { get; init; }
    /// <summary>The database backed up.</summary>
    [JsonPropertyName("appRef"), RequiredField] public TypedObjectRef? AppRef { get; init; }
    /// <summary>The repository (a BackupConfiguration's) that holds the data.</summary>
    [JsonPropertyName("repository"), RequiredField] public string Repository { get; init; } = "";
    /// <summary>The BackupConfiguration session that made it.</summary>
    [JsonPropertyName("session")] public string? Session { get; init; }
    /// <summary>The backup session (one run) that made it.</summary>
    [JsonPropertyName("backupSession")] public string? BackupSession { get; init; }
    /// <summary>What deleting the Snapshot does to its data.</summary>
    [JsonPropertyName("deletionPolicy")] public SnapshotDeletionPolicy? DeletionPolicy { get; init; }
    /// <summary>KubeStash's pause of the snapshot's backups.</summary>
    [JsonPropertyName("paused")] public bool? Paused { get; init; }
    /// <summary>When the snapshot was created and last updated.</summary>
    [JsonPropertyName("snapshotTime")] public SnapshotTime? SnapshotTime { get; init; }
    /// <summary>Per replica-set member: where its data lives and what it covers.</summary>
    [JsonPropertyName("components")] public IReadOnlyList<SnapshotComponent>? Components { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<SnapshotType>))]
public enum SnapshotType
{
    FullBackup,
    /// <summary>The continuously archived oplog that follows full backups.</summary>
    IncrementalBackup,
}

[JsonConverter(typeof(AliasedEnumConverter<SnapshotDeletionPolicy>))]
public enum SnapshotDeletionPolicy
{
    /// <summary>Deleting the Snapshot deletes its data in the repository.</summary>
    WipeOut,
    /// <summary>Deleting the Snapshot keeps its data.</summary>
    [Alias("Retain")] DoNotDelete,
}

/// <summary>When a snapshot was created and last changed.</summary>
public sealed record SnapshotTime
{
    /// <summary>When the snapshot was created.</summary>
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; init; }
    /// <summary>When the snapshot last changed (for the incremental one: when its archived oplog last grew).</summary>
    [JsonPropertyName("lastUpdated")] public DateTimeOffset? LastUpdated { get; init; }
}

/// <summary>One replica-set member's part of a snapshot.</summary>
public sealed record SnapshotComponent
{
    /// <summary>The replica-set member (or shard member) whose data this is, such as <c>mongo-sh-0</c>.</summary>
    [JsonPropertyName("name"), RequiredField] public string Name { get; init; } = "";
    /// <summary>Relative to the repository.</summary>
    [JsonPropertyName("path")] public string? Path { get; init; }
    /// <summary>Pending, Running, Succeeded or Failed.</summary>
    [JsonPropertyName("phase")] public SnapshotPhase? Phase { get; init; }
    [JsonPropertyName("driver")] public ComponentDriver? Driver { get; init; }
    [JsonPropertyName("walSegment")] public WalSegment? WalSegment { get; init; }
    /// <summary>KubeDB's statistics of the component's oplog archiving.</summary>
    [JsonPropertyName("logStats")] public LogStats? LogStats { get; init; }
    /// <summary>The volume snapshots a CSISnapshotter full backup took.</summary>
    [JsonPropertyName("volumeSnapshotterStats")] public IReadOnlyList<VolumeSnapshotterStats>? VolumeSnapshotterStats { get; init; }
    /// <summary>The size of the component's data.</summary>
    [JsonPropertyName("size")] public string? Size { get; init; }
    /// <summary>Why the component failed.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<ComponentDriver>))]
public enum ComponentDriver
{
    /// <summary>The oplog archiver (named as in the seed, which ran WAL-G).</summary>
    WalG,
    [Alias("VolumeSnapshotter")] CSISnapshotter,
    Logical,
}

/// <summary>The time range the component's archived oplog covers.</summary>
public sealed record WalSegment
{
    /// <summary>The time of the first archived entry.</summary>
    [JsonPropertyName("start")] public DateTimeOffset? Start { get; init; }
    /// <summary>The time of the last archived entry.</summary>
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
}

/// <summary>KubeDB's per-component oplog statistics.</summary>
public sealed record LogStats
{
    /// <summary>The time of the first archived entry.</summary>
    [JsonPropertyName("start")] public DateTimeOffset? Start { get; init; }
    /// <summary>The time of the last archived entry.</summary>
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
    /// <summary>How many archiving runs succeeded.</summary>
    [JsonPropertyName("totalSucceededCount")] public long? TotalSucceededCount { get; init; }
    /// <summary>How many archiving runs failed.</summary>
    [JsonPropertyName("totalFailedCount")] public long? TotalFailedCount { get; init; }
    /// <summary>The last runs that succeeded.</summary>
    [JsonPropertyName("lastSucceededStats")] public IReadOnlyList<LogStat>? LastSucceededStats { get; init; }
    /// <summary>The last runs that failed.</summary>
    [JsonPropertyName("lastFailedStats")] public IReadOnlyList<LogStat>? LastFailedStats { get; init; }
}

/// <summary>One archiving run.</summary>
public sealed record LogStat
{
    /// <summary>The start of the span the run archived.</summary>
    [JsonPropertyName("start")] public DateTimeOffset? Start { get; init; }
    /// <summary>The end of the span the run archived.</summary>
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
    /// <summary>Why the run failed.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
}

/// <summary>One volume snapshot of a CSISnapshotter full backup.</summary>
public sealed record VolumeSnapshotterStats
{
    /// <summary>The claim snapshotted.</summary>
    [JsonPropertyName("pvcName")] public string? PvcName { get; init; }
    /// <summary>The replica-set member whose data volume the claim is.</summary>
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    /// <summary>The VolumeSnapshot taken.</summary>
    [JsonPropertyName("volumeSnapshotName")] public string? VolumeSnapshotName { get; init; }
    /// <summary>When the snapshot was taken.</summary>
    [JsonPropertyName("volumeSnapshotTime")] public DateTimeOffset? VolumeSnapshotTime { get; init; }
}

/// <summary>How the snapshot stands, written by Archiver.</summary>
public sealed record SnapshotStatus
{
    /// <summary>Pending, Running, Succeeded or Failed.</summary>
    [JsonPropertyName("phase")] public SnapshotPhase? Phase { get; init; }
    /// <summary>The result of the last scrub of the repository (every chunk's checksum and chain link, every backup file's hash).</summary>
    [JsonPropertyName("verificationStatus")] public VerificationStatus? VerificationStatus { get; init; }
    /// <summary>How many components the snapshot has.</summary>
    [JsonPropertyName("totalComponents")] public int? TotalComponents { get; init; }
    /// <summary>The size of the data, such as 1.2 GiB.</summary>
    [JsonPropertyName("size")] public string? Size { get; init; }
    /// <summary>Whether the data was found whole at the last check.</summary>
    [JsonPropertyName("integrity")] public bool? Integrity { get; init; }
    /// <summary>The snapshot's conditions, among them BackupVerified.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<SnapshotPhase>))]
public enum SnapshotPhase
{
    Pending,
    Running,
    Succeeded,
    Failed,
}

[JsonConverter(typeof(AliasedEnumConverter<VerificationStatus>))]
public enum VerificationStatus
{
    Verified,
    NotVerified,
    VerificationFailed,
}
