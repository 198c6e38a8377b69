using System.Text.Json;
using System.Text.Json.Serialization;

namespace Archiver.Messages.Resources;

/// <summary>Where backups are kept: one backend (a local folder, S3-compatible, GCS or Azure) and who may use it.</summary>
public sealed record BackupStorage : Resource<BackupStorageSpec, BackupStorageStatus>
{
    public const string KindName = "BackupStorage";
    public const string ApiVersionName = ApiGroups.KubeStashStorageV1Alpha1;

    /// <summary>
    /// The service endpoint of an <c>azure</c> or <c>gcs</c> storage when it is not the public one: a private endpoint, a
    /// sovereign cloud, or a server speaking the same API (Azurite, a GCS stand-in). KubeStash's <c>azure</c> and
    /// <c>gcs</c> blocks have no endpoint field (<c>s3</c> has its own, <c>s3.endpoint</c>), so it is an annotation:
    /// for azure the blob service URI (<c>https://ACCOUNT.blob.core.windows.net</c>, Azurite's
    /// <c>http://127.0.0.1:10000/devstoreaccount1</c>), for gcs the JSON API's base
    /// (<c>https://storage.googleapis.com/storage/v1/</c>).
    /// </summary>
    public const string EndpointAnnotation = "archiver.kubedb.com/storage-endpoint";

    /// <summary>The <see cref="EndpointAnnotation"/> of this storage, or null.</summary>
    public string? Endpoint => Metadata.Annotations?.TryGetValue(EndpointAnnotation, out var endpoint) == true ? endpoint : null;
}

/// <summary>The backend, who may use it, and what deleting the storage does.</summary>
public sealed record BackupStorageSpec
{
    /// <summary>The backend: a provider and its block.</summary>
    [JsonPropertyName("storage"), RequiredField] public StorageBackend? Storage { get; init; }
    /// <summary>Which namespaces' archivers and databases may use this storage.</summary>
    [JsonPropertyName("usagePolicy")] public UsagePolicy? UsagePolicy { get; init; }
    /// <summary>Used when a reference names no storage.</summary>
    [JsonPropertyName("default")] public bool? Default { get; init; }
    /// <summary>What deleting the storage does to its data.</summary>
    [JsonPropertyName("deletionPolicy")] public StorageDeletionPolicy? DeletionPolicy { get; init; }
    /// <summary>Encrypts every object at rest with AES-256-GCM, the key taken from this Secret.</summary>
    [JsonPropertyName("encryptionSecret")] public ObjectRef? EncryptionSecret { get; init; }
    /// <summary>Pod settings for KubeStash's storage jobs, kept as given.</summary>
    [JsonPropertyName("runtimeSettings")] public JsonElement? RuntimeSettings { get; init; }
}

/// <summary>Exactly one backend block, the one <c>provider</c> names.</summary>
public sealed record StorageBackend
{
    /// <summary>Which backend: local, s3, gcs or azure; its block of the same name is required.</summary>
    [JsonPropertyName("provider"), RequiredField] public StorageProvider? Provider { get; init; }
    /// <summary>A folder; only with provider local.</summary>
    [JsonPropertyName("local")] public LocalBackendSpec? Local { get; init; }
    /// <summary>An S3-compatible bucket; only with provider s3.</summary>
    [JsonPropertyName("s3")] public S3BackendSpec? S3 { get; init; }
    /// <summary>A Google Cloud Storage bucket; only with provider gcs.</summary>
    [JsonPropertyName("gcs")] public GcsBackendSpec? Gcs { get; init; }
    /// <summary>An Azure Blob Storage container; only with provider azure.</summary>
    [JsonPropertyName("azure")] public AzureBackendSpec? Azure { get; init; }
}

// KubeStash's StorageProvider (apis/storage/v1alpha1/types.go) also names swift, b2 and rest, commented out: no
// fields are defined for them, so no BackupStorage can describe one.
[JsonConverter(typeof(AliasedEnumConverter<StorageProvider>))]
[RefusedValue("swift", StorageSupport.UnservedProvider)]
[RefusedValue("b2", StorageSupport.UnservedProvider)]
[RefusedValue("rest", StorageSupport.UnservedProvider)]
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
    /// <summary>The folder's absolute path (in a cluster, where the volume is mounted in the node's and the database pods' containers).</summary>
    [JsonPropertyName("mountPath"), RequiredField, Pattern("^$|^/")] public string MountPath { get; init; } = "";
    /// <summary>A sub-folder of the volume to mount.</summary>
    [JsonPropertyName("subPath")] public string? SubPath { get; init; }
    /// <summary>The Kubernetes volume to mount at <c>mountPath</c> in a cluster, kept as given.</summary>
    [JsonPropertyName("persistentVolumeClaim")] public JsonElement? PersistentVolumeClaim { get; init; }
    /// <summary>A host folder to mount, as a Kubernetes hostPath volume.</summary>
    [JsonPropertyName("hostPath")] public JsonElement? HostPath { get; init; }
    /// <summary>An NFS export to mount, as a Kubernetes nfs volume.</summary>
    [JsonPropertyName("nfs")] public JsonElement? Nfs { get; init; }
}

/// <summary>An S3-compatible bucket.</summary>
public sealed record S3BackendSpec
{
    /// <summary>The service URL, such as <c>https://s3.amazonaws.com</c> or a MinIO address.</summary>
    [JsonPropertyName("endpoint"), RequiredField] public string Endpoint { get; init; } = "";
    /// <summary>The bucket: 3 to 63 lower-case letters, digits, '-' or '.'.</summary>
    [JsonPropertyName("bucket"), RequiredField, Pattern(Validation.ResourceValidator.BucketNamePattern)] public string Bucket { get; init; } = "";
    /// <summary>A folder in the bucket under which everything is kept.</summary>
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>The bucket's region.</summary>
    [JsonPropertyName("region")] public string? Region { get; init; }
    /// <summary>A Secret in the storage's namespace with <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>.</summary>
    [JsonPropertyName("secretName"), Pattern(Validation.KubernetesNames.OptionalSubdomainPattern)] public string? SecretName { get; init; }
    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible servers need.</summary>
    [JsonPropertyName("forcePathStyle")] public bool? ForcePathStyle { get; init; }
    /// <summary>Accept the endpoint's TLS certificate without verifying it.</summary>
    [JsonPropertyName("insecureTLS")] public bool? InsecureTls { get; init; }
}

/// <summary>A Google Cloud Storage bucket.</summary>
public sealed record GcsBackendSpec
{
    /// <summary>The bucket.</summary>
    [JsonPropertyName("bucket"), RequiredField] public string Bucket { get; init; } = "";
    /// <summary>A folder in the bucket under which everything is kept.</summary>
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>A Secret with <c>GOOGLE_PROJECT_ID</c> and <c>GOOGLE_SERVICE_ACCOUNT_JSON_KEY</c>.</summary>
    [JsonPropertyName("secretName")] public string? SecretName { get; init; }
    /// <summary>How many connections to the service at once.</summary>
    [JsonPropertyName("maxConnections"), Minimum(1)] public int? MaxConnections { get; init; }
}

/// <summary>An Azure Blob Storage container.</summary>
public sealed record AzureBackendSpec
{
    /// <summary>The storage account.</summary>
    [JsonPropertyName("storageAccount"), RequiredField] public string StorageAccount { get; init; } = "";
    /// <summary>The blob container.</summary>
    [JsonPropertyName("container"), RequiredField] public string Container { get; init; } = "";
    /// <summary>A folder in the container under which everything is kept.</summary>
    [JsonPropertyName("prefix")] public string? Prefix { get; init; }
    /// <summary>A Secret with <c>AZURE_ACCOUNT_KEY</c>.</summary>
    [JsonPropertyName("secretName")] public string? SecretName { get; init; }
    /// <summary>How many connections to the service at once.</summary>
    [JsonPropertyName("maxConnections"), Minimum(1)] public int? MaxConnections { get; init; }
}

/// <summary>Which namespaces may refer to a BackupStorage or RetentionPolicy.</summary>
public sealed record UsagePolicy
{
    /// <summary>The namespaces whose objects may refer to this one.</summary>
    [JsonPropertyName("allowedNamespaces")] public NamespaceSelection? AllowedNamespaces { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<StorageDeletionPolicy>))]
public enum StorageDeletionPolicy
{
    /// <summary>Delete the resource, keep the data (the default).</summary>
    Delete,
    WipeOut,
}

/// <summary>How the storage stands.</summary>
public sealed record BackupStorageStatus
{
    /// <summary>Ready or NotReady.</summary>
    [JsonPropertyName("phase")] public BackupStoragePhase? Phase { get; init; }
    /// <summary>How much the storage holds.</summary>
    [JsonPropertyName("totalSize")] public string? TotalSize { get; init; }
    /// <summary>The storage's conditions.</summary>
    [JsonPropertyName("conditions")] public IReadOnlyList<Condition>? Conditions { get; init; }
}

[JsonConverter(typeof(AliasedEnumConverter<BackupStoragePhase>))]
public enum BackupStoragePhase
{
    Ready,
    NotReady,
}
