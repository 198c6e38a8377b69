using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using Archiver.Storage.Backends;
using Archiver.Storage.Encryption;

namespace Archiver.Host.Adapters;

/// <summary>
/// Opens the object store a BackupStorage describes: <c>local</c> (a folder) or <c>s3</c> (any S3-compatible service:
/// endpoint, bucket, prefix, region, path style; credentials from the secret <c>s3.secretName</c> in the storage's
/// namespace, KubeStash's keys <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>) or <c>azure</c> (a storage account's
/// container and prefix, its key <c>AZURE_ACCOUNT_KEY</c> from <c>azure.secretName</c>) or <c>gcs</c> (a bucket and prefix, the
/// service account key <c>GOOGLE_SERVICE_ACCOUNT_JSON_KEY</c> from <c>gcs.secretName</c>), wrapped in AES-256-GCM when
/// <c>encryptionSecret</c> names a secret whose <c>key</c> holds 32 bytes in base64 (see <see cref="BackupStorageSecrets"/>).
/// The one way a storage is opened, by the node (<see cref="ObjectStoreProvider"/>) and by the sidecars
/// (<c>archiver sidecar</c>) alike: the two write into one repository, so they must agree on every setting.
/// </summary>
public static class StorageBackends
{
    public static Task<IObjectStore> OpenAsync(ResourceId storageId, BackupStorageSpec spec, ISecretSource secrets, CancellationToken cancellation = default) =>
        OpenAsync(storageId, spec, secrets, LocalFolders.Create, cancellation);

    /// <summary>Opens the storage <paramref name="storage"/> describes, its endpoint annotation (<see cref="BackupStorage.EndpointAnnotation"/>) included.</summary>
    public static Task<IObjectStore> OpenAsync(BackupStorage storage, ISecretSource secrets, LocalFolders localFolders, CancellationToken cancellation = default) =>
        OpenAsync(ResourceId.Of(storage), storage.Spec ?? new BackupStorageSpec(), secrets, localFolders, cancellation, Endpoint(storage));

    /// <param name="endpoint">An azure or gcs storage's service endpoint when not the public one (<see cref="BackupStorage.EndpointAnnotation"/>).</param>
    public static async Task<IObjectStore> OpenAsync(ResourceId storageId, BackupStorageSpec spec, ISecretSource secrets, LocalFolders localFolders, CancellationToken cancellation = default, Uri? endpoint = null)
    {
        var backend = spec.Storage ?? throw new InvalidOperationException($"BackupStorage {storageId}: spec.storage is missing");
        IObjectStore store = backend.Provider switch
        {
            StorageProvider.Local => OpenLocal(storageId, backend.Local, localFolders),
            StorageProvider.S3 => await OpenS3Async(storageId, spec, secrets, cancellation),
            StorageProvider.Azure => await OpenAzureAsync(storageId, spec, secrets, endpoint, cancellation),
            StorageProvider.Gcs => await OpenGcsAsync(storageId, spec, secrets, endpoint, cancellation),
            _ => throw new NotSupportedException(StorageSupport.Refusal(storageId, spec)),
        };

        if (BackupStorageSecrets.Encryption(storageId, spec) is { } reference)
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String((await secrets.ReadAsync(reference, BackupStorageSecrets.EncryptionKey, cancellation)).Trim());
            }
            catch (FormatException)
            {
                (store as IDisposable)?.Dispose();
                throw new InvalidOperationException($"BackupStorage {storageId}: spec.encryptionSecret {reference} key '{BackupStorageSecrets.EncryptionKey}' is not base64");
            }

            store = new EncryptedObjectStore(store, new EncryptionSettings(key));
        }

        return store;
    }

    /// <summary>
    /// The storage's endpoint annotation as a URI: absolute http(s), for an azure or gcs storage only (an s3 storage names
    /// its endpoint in its block; a local one has none). Validation refuses any other; here too, naming it.
    /// </summary>
    internal static Uri? Endpoint(BackupStorage storage)
    {
        if (storage.Endpoint is not { } text) return null;
        if (storage.Spec?.Storage?.Provider is not (StorageProvider.Azure or StorageProvider.Gcs))
        {
            throw new InvalidOperationException($"BackupStorage {ResourceId.Of(storage)}: metadata.annotations[{BackupStorage.EndpointAnnotation}] is for azure and gcs storages; {storage.Spec?.Storage?.Provider?.ToString().ToLowerInvariant() ?? "this"} storage has none");
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"BackupStorage {ResourceId.Of(storage)}: metadata.annotations[{BackupStorage.EndpointAnnotation}] must be an absolute http or https URI, not \"{text}\"");
    }

    /// <summary>What the S3 client is given for a storage: every setting of its <c>s3</c> block, KubeStash's defaults for the rest.</summary>
    internal static S3Settings S3Settings(S3BackendSpec s3, string accessKey, string secretKey) => new()
    {
        ServiceUrl = new Uri(s3.Endpoint),
        Bucket = s3.Bucket,
        Prefix = s3.Prefix ?? "",
        Region = s3.Region ?? "us-east-1",
        // Most S3-compatible servers (MinIO, s3rver) only answer path-style requests.
        ForcePathStyle = s3.ForcePathStyle ?? true,
        AccessKey = accessKey,
        SecretKey = secretKey,
    };

    /// <summary>What the Azure client is given for a storage: its <c>azure</c> block, the account's public endpoint.</summary>
    internal static AzureBlobSettings AzureSettings(AzureBackendSpec azure, string accountKey, Uri? endpoint = null) => new()
    {
        ServiceUri = endpoint,
        Account = azure.StorageAccount,
        AccountKey = accountKey,
        Container = azure.Container,
        Prefix = azure.Prefix ?? "",
        MaxConnections = azure.MaxConnections ?? 4,
    };

    /// <summary>What the GCS client is given for a storage: its <c>gcs</c> block, Google's public endpoint.</summary>
    internal static GcsSettings GcsSettings(GcsBackendSpec gcs, string serviceAccountJson, Uri? endpoint = null) => new()
    {
        BaseUri = endpoint,
        Bucket = gcs.Bucket,
        ServiceAccountJson = serviceAccountJson,
        Prefix = gcs.Prefix ?? "",
        MaxConnections = gcs.MaxConnections ?? 4,
    };

    private static async Task<GcsObjectStore> OpenGcsAsync(ResourceId id, BackupStorageSpec spec, ISecretSource secrets, Uri? endpoint, CancellationToken cancellation)
    {
        var gcs = spec.Storage?.Gcs ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage.gcs is missing");
        // KubeStash falls back on the pod's ambient Google credentials without a secret; the node and the sidecars run
        // under different service accounts, so both must be given the same key to write one repository.
        var secret = BackupStorageSecrets.GcsCredentials(id, spec)
            ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage.gcs.secretName names no service account key ({BackupStorageSecrets.GoogleServiceAccountJsonKey})");
        var key = await secrets.ReadAsync(secret, BackupStorageSecrets.GoogleServiceAccountJsonKey, cancellation);
        try
        {
            return new GcsObjectStore(GcsSettings(gcs, key, endpoint));
        }
        catch (ArgumentException e) when (e.ParamName == "json")
        {
            // Said without the key's content, which is a secret.
            throw new InvalidOperationException($"BackupStorage {id}: secret {secret} key {BackupStorageSecrets.GoogleServiceAccountJsonKey} is not a Google service account key (JSON with type service_account, client_email and private_key)");
        }
    }

    private static async Task<AzureBlobStore> OpenAzureAsync(ResourceId id, BackupStorageSpec spec, ISecretSource secrets, Uri? endpoint, CancellationToken cancellation)
    {
        var azure = spec.Storage?.Azure ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage.azure is missing");
        var secret = BackupStorageSecrets.AzureCredentials(id, spec)
            ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage.azure.secretName names no account key");
        var key = await secrets.ReadAsync(secret, BackupStorageSecrets.AzureAccountKey, cancellation);
        return new AzureBlobStore(AzureSettings(azure, key.Trim(), endpoint));
    }

    private static LocalFolderStore OpenLocal(ResourceId id, LocalBackendSpec? local, LocalFolders localFolders)
    {
        if (local is null || string.IsNullOrEmpty(local.MountPath)) throw new InvalidOperationException($"BackupStorage {id}: spec.storage.local.mountPath is missing");
        if (localFolders == LocalFolders.Mounted && LocalStorageInCluster.Problem(local) is { } problem)
        {
            throw new InvalidOperationException($"BackupStorage {id}: spec.storage.local.mountPath {problem}");
        }

        var root = local.MountPath;
        // The sub-folder is the storage's own: made inside the mounted folder the first time.
        if (!string.IsNullOrEmpty(local.SubPath)) root = Path.Combine(root, local.SubPath);
        Directory.CreateDirectory(root);
        return new LocalFolderStore(root);
    }

    private static async Task<S3ObjectStore> OpenS3Async(ResourceId id, BackupStorageSpec spec, ISecretSource secrets, CancellationToken cancellation)
    {
        var s3 = spec.Storage?.S3 ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage.s3 is missing");
        var secret = BackupStorageSecrets.S3Credentials(id, spec)
            ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage.s3.secretName names no credentials");
        var keys = await secrets.ReadAsync(secret, [BackupStorageSecrets.AccessKeyId, BackupStorageSecrets.SecretAccessKey], cancellation);
        return new S3ObjectStore(S3Settings(s3, keys[0], keys[1]));
    }
}
