using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>Where backups are kept: one backend (a local folder, S3-compatible, GCS or Azure) and who may use it.</summary>
public sealed record BackupStorage : Resource<BackupStorageSpec, BackupStorageStatus>
{
    public const string KindName = "BackupStorage";
    public const string ApiVersionName = ApiGroups.KubeStashStorageV1Alpha1;
}

public sealed record BackupStorageSpec
{
    [JsonPropertyName("storage"), RequiredField] public StorageBackend? Storage { get; init; }
    [JsonPropertyName("usagePolicy")] public UsagePolicy? UsagePolicy { get; init; }
    /// <summary>Used when a reference names no storage.</summary>
    [JsonPropertyName("default")] public bool? Default { get; init; }
    [JsonPropertyName("deletionPolicy")] public StorageDeletionPolicy? DeletionPolicy { get; init; }
    /// <summary>Encrypts every object at rest with AES-256-GCM, the key taken from this Secret.</summary>
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    [JsonPropertyName("runtimeSettings")] public JsonElement? RuntimeSettings { get; init; }
}

/// <summary>Exactly one backend block, the one <c>provider</c> names.</summary>
public sealed record StorageBackend
{
    [JsonPropertyName("provider"), RequiredField] public StorageProvider? Provider { get; init; }
    [JsonPropertyName("local")] public LocalBackendSpec? Local { get; init; }
    [JsonPropertyName("s3")] public S3BackendSpec? S3 { get; init; }
    [JsonPropertyName("gcs")] public GcsBackendSpec? Gcs { get; init; }
    [JsonPropertyName("azure")] public AzureBackendSpec? Azure { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<StorageProvider>))]
public enum StorageProvider
{
    [JsonStringEnumMemberName("local")] Local,
    [JsonStringEnumMemberName("s3")] S3,
    [JsonStringEnumMemberName("gcs")] Gcs,
    [JsonStringEnumMemberName("azure")] Azure,
}

/// <summary>A folder: on the embedded node a path on disk, in a cluster a mounted volume.</summary>
public sealed record LocalBackendSpec
{
    [JsonPropertyName("mountPath"), RequiredField] public string MountPath { get; init; } = "";
    [JsonPropertyName("subPath")] public string? SubPath { get; init; }
    /// <summary>The Kubernetes volume to mount at <c>mountPath</c> in a cluster, kept as given.</summary>
    [JsonPropertyName("persistentVolumeClaim")] public JsonElement? PersistentVolumeClaim { get; init; }
    [JsonPropertyName("hostPath")] public JsonElement? HostPath { get; init; }
    [JsonPropertyName("nfs")] public JsonElement? Nfs { get; init; }
}

public sealed record S3BackendSpec
{
    /// <summary>The service URL, such as <c>https://s3.amazonaws.com</c> or a MinIO address.</summary>
    [JsonPropertyName("endpoint"), RequiredField] public string Endpoint { get; init; } = "";
    [JsonPropertyName("bucket"), RequiredField] public string Bucket { get; init; } = "";
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    [JsonPropertyName("region")] public string? Region { get; init; }
    /// <summary>A Secret in the storage's namespace with <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>.</summary>
    [JsonPropertyName("secretName")] public string? SecretName { get; init; }
    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible servers need.</summary>
    [JsonPropertyName("forcePathStyle")] public bool? ForcePathStyle { get; init; }
    [JsonPropertyName("insecureTLS")] public bool? InsecureTls { get; init; }
}

public sealed record GcsBackendSpec
{
    [JsonPropertyName("bucket"), RequiredField] public string Bucket { get; init; } = "";
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>A Secret with <c>GOOGLE_PROJECT_ID</c> and <c>GOOGLE_SERVICE_ACCOUNT_JSON_KEY</c>.</summary>
    [JsonPropertyName("secretName")] public string? SecretName { get; init; }
    [JsonPropertyName("maxConnections")] public int? MaxConnections { get; init; }
}

public sealed record AzureBackendSpec
{
    [JsonPropertyName("storageAccount"), RequiredField] public string StorageAccount { get; init; } = "";
    [JsonPropertyName("container"), RequiredField] public string Container { get; init; } = "";
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>A Secret with <c>AZURE_ACCOUNT_KEY</c>.</summary>
    [JsonPropertyName("secretName")] public string? SecretName { get; init; }
    [JsonPropertyName("maxConnections")] public int? MaxConnections { get; init; }
}

/// <summary>Which namespaces may refer to a BackupStorage or RetentionPolicy.</summary>
public sealed record UsagePolicy
{
    [JsonPropertyName("allowedNamespaces")] public NamespaceSelection? AllowedNamespaces { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<StorageDeletionPolicy>))]
public enum StorageDeletionPolicy
{
    /// <summary>Delete the resource, keep the data (the default).</summary>
    Delete,
    WipeOut,
}

public sealed record BackupStorageStatus
{
    [JsonPropertyName("phase")] public BackupStoragePhase? Phase { get; init; }
    [JsonPropertyName("totalSize")] public string? TotalSize { get; init; }
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<BackupStoragePhase>))]
public enum BackupStoragePhase
{
    Ready,
    NotReady,
}
