using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>
/// KubeDB's MongoDB database. Archiver owns only its archiver fields; every other field is kept exactly as
/// given, so reading and writing a MongoDB resource never loses what KubeDB or the user put there.
/// </summary>
public sealed record MongoDB : Resource<MongoDBSpec, MongoDBStatus>
{
    public const string KindName = "MongoDB";
    public const string ApiVersionName = ApiGroups.KubeDbV1Alpha2;

    /// <summary>The keys of KubeDB's auth secret that hold the root user's name and password.</summary>
    public const string AuthUsernameKey = "username";
    public const string AuthPasswordKey = "password";

    /// <summary>KubeDB's secret with the root <c>username</c> and <c>password</c>: <c>spec.authSecret.name</c>, by default <c>{name}-auth</c>.</summary>
    public string AuthSecretName() => KubeDbField("authSecret", "name") ?? $"{Metadata.Name}-auth";

    /// <summary>KubeDB's <c>spec.replicaSet.name</c>; null for a standalone.</summary>
    public string? ReplicaSetName() => KubeDbField("replicaSet", "name");

    /// <summary>
    /// A sharded cluster (KubeDB's <c>spec.shardTopology</c>: config server, shards and mongos): one oplog stream per
    /// replica set, restored to one cluster time (docs/sharded.md). A node that cannot archive one says so on the
    /// archiver (<c>Unsupported</c>) rather than leaving it to a failed ops request.
    /// </summary>
    public bool IsSharded() => Spec?.Other?.TryGetValue("shardTopology", out var topology) == true && topology.ValueKind == JsonValueKind.Object;

    /// <summary>
    /// A standalone as KubeDB reads its spec: neither <c>spec.replicaSet</c> nor <c>spec.shardTopology</c>. It keeps no
    /// oplog, so nothing can be archived or restored to a point in time. Authoritative in a cluster, where KubeDB
    /// provisions the server from the spec; on the embedded node the server behind the connection secret tells.
    /// </summary>
    public bool IsStandalone() => !IsSharded() && ReplicaSetName() is null;

    /// <summary>Why a standalone cannot be archived, in one line naming what to change.</summary>
    public const string StandaloneReason =
        "a standalone MongoDB (neither spec.replicaSet nor spec.shardTopology) keeps no oplog, so it cannot be archived or restored to a point in time: give it spec.replicaSet (KubeDB runs a one-member replica set as well)";

    /// <summary>KubeDB's <c>spec.shardTopology.shard.shards</c>: how many shards a sharded cluster has; null when not given or not sharded.</summary>
    public int? ShardCount() =>
        Spec?.Other?.TryGetValue("shardTopology", out var topology) == true && topology.ValueKind == JsonValueKind.Object
        && topology.TryGetProperty("shard", out var shard) && shard.ValueKind == JsonValueKind.Object
        && shard.TryGetProperty("shards", out var shards) && shards.ValueKind == JsonValueKind.Number && shards.TryGetInt32(out var count)
            ? count
            : null;

    /// <summary>The keys of a cert-manager certificate secret: the issuing CA, the certificate and its private key (PEM).</summary>
    public const string TlsCaKey = "ca.crt";
    public const string TlsCertificateKey = "tls.crt";
    public const string TlsPrivateKeyKey = "tls.key";

    /// <summary>
    /// The secret holding the client certificate KubeDB issues a TLS database (<c>spec.sslMode</c> other than
    /// <c>disabled</c>, with <c>spec.tls</c>): the <c>secretName</c> of <c>spec.tls.certificates</c>' entry with alias
    /// <c>client</c>, by default <c>{name}-client-cert</c>. Null when the database does not use TLS.
    /// </summary>
    public string? TlsClientSecretName()
    {
        if (Spec?.Other is not { } other
            || !other.TryGetValue("sslMode", out var mode) || mode.ValueKind != JsonValueKind.String
            || string.Equals(mode.GetString(), "disabled", StringComparison.OrdinalIgnoreCase)
            || !other.TryGetValue("tls", out var tls) || tls.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (tls.TryGetProperty("certificates", out var certificates) && certificates.ValueKind == JsonValueKind.Array)
        {
            foreach (var certificate in certificates.EnumerateArray())
            {
                if (certificate.ValueKind == JsonValueKind.Object
                    && certificate.TryGetProperty("alias", out var alias) && alias.ValueKind == JsonValueKind.String && alias.GetString() == "client"
                    && certificate.TryGetProperty("secretName", out var secret) && secret.ValueKind == JsonValueKind.String
                    && secret.GetString() is { Length: > 0 } name)
                {
                    return name;
                }
            }
        }

        return $"{Metadata.Name}-client-cert";
    }

    /// <summary>KubeDB's <c>status.phase</c> of a database that can be used (kubedb/apimachinery <c>DatabasePhaseReady</c>).</summary>
    public const string ReadyPhase = "Ready";

    /// <summary>
    /// KubeDB's <c>status.phase</c>: Provisioning, DataRestoring, Ready, Critical, NotReady, Halted or Unknown
    /// (kubedb/apimachinery <c>apis/kubedb/v1alpha2/types.go</c>, DatabasePhase); null when nothing reports one, as on
    /// the embedded node, where no KubeDB runs.
    /// </summary>
    public string? KubeDbPhase() =>
        Status?.Other is { } other && other.TryGetValue("phase", out var phase) && phase.ValueKind == JsonValueKind.String ? phase.GetString() : null;

    // KubeDB's fields Archiver does not model are kept in the spec's extension data.
    private string? KubeDbField(string section, string field) =>
        Spec?.Other is { } other
        && other.TryGetValue(section, out var value)
        && value.ValueKind == JsonValueKind.Object
        && value.TryGetProperty(field, out var name)
        && name.ValueKind == JsonValueKind.String
            ? name.GetString()
            : null;
}

/// <summary>KubeDB's database spec: Archiver reads and writes <c>archiver</c> and <c>init.archiver</c>; every other field is KubeDB's.</summary>
public sealed record MongoDBSpec
{
    /// <summary>Which archiver backs this database up (set by Archiver's mutating webhook, or by hand).</summary>
    [JsonPropertyName("archiver")] public DatabaseArchiverRef? Archiver { get; init; }
    /// <summary>How a new database gets its first data; <c>init.archiver</c> restores it from archived history.</summary>
    [JsonPropertyName("init")] public MongoDBInit? Init { get; init; }
    [JsonExtensionData] public IDictionary<string, JsonElement>? Other { get; init; }
}

/// <summary>Which archiver backs this database up; set by the mutator or by the user.</summary>
public sealed record DatabaseArchiverRef
{
    /// <summary>Stops new full backups of this database; the oplog is still archived.</summary>
    [JsonPropertyName("pause")] public bool? Pause { get; init; }
    /// <summary>The MongoDBArchiver.</summary>
    [JsonPropertyName("ref"), RequiredField] public ObjectRef? Ref { get; init; }
}

/// <summary>KubeDB's initialisation of a new database; Archiver reads only <c>archiver</c>.</summary>
public sealed record MongoDBInit
{
    /// <summary>Restore the new database from archived history to a point in time.</summary>
    [JsonPropertyName("archiver")] public ArchiverRecovery? Archiver { get; init; }
    [JsonExtensionData] public IDictionary<string, JsonElement>? Other { get; init; }
}

/// <summary>Restore this new database from archived history, to a point in time.</summary>
public sealed record ArchiverRecovery
{
    /// <summary>The moment to restore to: RFC 3339 with up to microseconds and an offset, such as 2020-10-28T01:48:23.121314+03:00; every write at or before it is restored. Also read as <c>recoveryTimestamp</c>; one of the two is required.</summary>
    [JsonPropertyName("recoveryTimeStamp"), Alias("recoveryTimestamp"), RequiredField]
    public DateTimeOffset? RecoveryTimeStamp { get; init; }
    /// <summary>The backup storage that holds the history (the seed's <c>repository</c>).</summary>
    [JsonPropertyName("repository"), RequiredField] public ObjectRef? Repository { get; init; }
    /// <summary>The source database's folder in the storage, when it differs from this database's own prefix.</summary>
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>The Secret with the key the history was encrypted with, when the storage names none.</summary>
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    /// <summary>KubeDB's repository of full backups; accepted for compatibility and validated as a reference.</summary>
    [JsonPropertyName("fullDBRepository")] public ObjectRef? FullDBRepository { get; init; }
    /// <summary>KubeDB's repository of backup manifests; accepted for compatibility and validated as a reference.</summary>
    [JsonPropertyName("manifestRepository")] public ObjectRef? ManifestRepository { get; init; }
    /// <summary>How the other members of the restored replica set get their data.</summary>
    [JsonPropertyName("replicationStrategy")] public ReplicationStrategy? ReplicationStrategy { get; init; }
}

/// <summary>How the other members of a restored replica set get their data (KubeDB's names).</summary>
[JsonConverter(typeof(AliasedEnumConverter<ReplicationStrategy>))]
public enum ReplicationStrategy
{
    [JsonStringEnumMemberName("fscopy")] FsCopy,
    [JsonStringEnumMemberName("clone")] Clone,
    [JsonStringEnumMemberName("sync")] Sync,
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>KubeDB's database status; Archiver writes only <c>archiver</c>.</summary>
public sealed record MongoDBStatus
{
    /// <summary>The database's archiving and, for a restore, its recovery, as Archiver reports them.</summary>
    [JsonPropertyName("archiver")] public DatabaseArchiverStatus? Archiver { get; init; }
    [JsonExtensionData] public IDictionary<string, JsonElement>? Other { get; init; }
}

/// <summary>What Archiver reports about a database: its archiving and, for a restore, its recovery.</summary>
public sealed record DatabaseArchiverStatus
{
    /// <summary>Where the database's archiving or restore stands.</summary>
    [JsonPropertyName("phase")] public DatabaseArchiverPhase? Phase { get; init; }
    /// <summary>Archiving, Configured and Restored conditions.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
    /// <summary>The archiver the database is configured with.</summary>
    [JsonPropertyName("archiverRef")] public ObjectRef? ArchiverRef { get; init; }
    /// <summary>The spec-hash of the archiver configuration in force.</summary>
    [JsonPropertyName("specHash")] public string? SpecHash { get; init; }
    /// <summary>The spans of time any moment of which can be restored.</summary>
    [JsonPropertyName("recoverableWindows")] public IReadOnlyList<RecoverableWindow>? RecoverableWindows { get; init; }
    /// <summary>Newest majority-committed write minus newest archived entry (Go duration).</summary>
    [JsonPropertyName("lag")] public string? Lag { get; init; }
    /// <summary>How long until the oldest unarchived entry would roll off the oplog (Go duration).</summary>
    [JsonPropertyName("oplogHeadroom")] public string? OplogHeadroom { get; init; }
    /// <summary>When the newest successful full backup was taken.</summary>
    [JsonPropertyName("lastFullBackup")] public DateTimeOffset? LastFullBackup { get; init; }
    /// <summary>The progress of the point-in-time restore of a database created with <c>spec.init.archiver</c>.</summary>
    [JsonPropertyName("restore")] public RestoreProgress? Restore { get; init; }
    /// <summary>What the database's own history holds in the storage, per component: what archiving costs.</summary>
    [JsonPropertyName("storage")] public IReadOnlyList<ComponentStorage>? Storage { get; init; }
    /// <summary>
    /// A sharded cluster's replica sets (config server and shards), each with its own stream's lag, headroom and
    /// problem; <see cref="Lag"/> and <see cref="OplogHeadroom"/> above are the worst of them. Null for a replica set.
    /// </summary>
    [JsonPropertyName("components")] public IReadOnlyList<ComponentArchiving>? Components { get; init; }
}

/// <summary>One replica set of a sharded cluster as its oplog stream last reported.</summary>
public sealed record ComponentArchiving
{
    /// <summary>The replica set (config server or shard).</summary>
    [JsonPropertyName("component")] public string? Component { get; init; }
    /// <summary>The newest entry of this replica set archived.</summary>
    [JsonPropertyName("archivedUntil")] public DateTimeOffset? ArchivedUntil { get; init; }
    /// <summary>Newest majority-committed write minus newest archived entry (Go duration).</summary>
    [JsonPropertyName("lag")] public string? Lag { get; init; }
    /// <summary>How long until the oldest unarchived entry would roll off this replica set's oplog (Go duration).</summary>
    [JsonPropertyName("oplogHeadroom")] public string? OplogHeadroom { get; init; }
    /// <summary>What stops or slows this replica set's stream, in one line; null when nothing does.</summary>
    [JsonPropertyName("problem")] public string? Problem { get; init; }
}

/// <summary>One component's objects and bytes in the storage.</summary>
public sealed record ComponentStorage
{
    /// <summary>The replica set (or shard) the figures are of.</summary>
    [JsonPropertyName("component")] public string? Component { get; init; }
    /// <summary>Oplog chunks: one object each.</summary>
    [JsonPropertyName("oplogObjects")] public int? OplogObjects { get; init; }
    /// <summary>The oplog chunks' bytes as stored (compressed).</summary>
    [JsonPropertyName("oplogBytes")] public long? OplogBytes { get; init; }
    /// <summary>Files of its full backups (a volume snapshot's data is the CSI driver's, not counted).</summary>
    [JsonPropertyName("backupObjects")] public int? BackupObjects { get; init; }
    /// <summary>Those files' bytes as stored.</summary>
    [JsonPropertyName("backupBytes")] public long? BackupBytes { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<DatabaseArchiverPhase>))]
public enum DatabaseArchiverPhase
{
    Configuring,
    /// <summary>Full backups are scheduled and the oplog is archived.</summary>
    Archiving,
    /// <summary>
    /// Configured, but its oplog archiver refuses to write: the repository holds another database's history, or a
    /// restore into the replica set has not finished. The <c>Archiving</c> condition says which.
    /// </summary>
    Blocked,
    Paused,
    Restoring,
    /// <summary>The point-in-time restore finished and was verified.</summary>
    Restored,
    RestoreFailed,
    Disabled,
}

/// <summary>A span of time any point of which can be restored, for one component.</summary>
public sealed record RecoverableWindow
{
    /// <summary>The replica-set member (or shard) the window is for.</summary>
    [JsonPropertyName("component")] public string? Component { get; init; }
    /// <summary>The earliest restorable moment: a full backup's consistent point.</summary>
    [JsonPropertyName("start")] public DateTimeOffset? Start { get; init; }
    /// <summary>The latest restorable moment: the end of the unbroken archived oplog after it.</summary>
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
}

/// <summary>How far a point-in-time restore has got.</summary>
public sealed record RestoreProgress
{
    /// <summary>The moment restored to.</summary>
    [JsonPropertyName("target")] public DateTimeOffset? Target { get; init; }
    /// <summary>The full backup the restore starts from.</summary>
    [JsonPropertyName("baseSnapshot")] public string? BaseSnapshot { get; init; }

    /// <summary>
    /// For a base taken by volume snapshot: the VolumeSnapshot (in the database's namespace) its <c>datadir</c> claims
    /// are made from, as the archiver's claim webhook reads it here (deploy/statefulset/webhook.yaml).
    /// </summary>
    [JsonPropertyName("baseVolumeSnapshot")] public string? BaseVolumeSnapshot { get; init; }
    /// <summary>Oplog entries replayed so far.</summary>
    [JsonPropertyName("entriesDone")] public long? EntriesDone { get; init; }
    /// <summary>Oplog entries to replay in all.</summary>
    [JsonPropertyName("entriesTotal")] public long? EntriesTotal { get; init; }
    /// <summary>Bytes of backup and oplog read so far.</summary>
    [JsonPropertyName("bytesDone")] public long? BytesDone { get; init; }
    /// <summary>Bytes of backup and oplog to read in all.</summary>
    [JsonPropertyName("bytesTotal")] public long? BytesTotal { get; init; }
}
