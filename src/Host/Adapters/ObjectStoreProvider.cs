using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using Archiver.Storage.Encryption;

namespace Archiver.Host.Adapters;

/// <summary>
/// Opens the object store a BackupStorage resource describes: <c>local</c> (a folder on the node's machine) or <c>s3</c> (any S3-compatible service; credentials from the secret
/// <c>s3.secretName</c> with KubeStash's keys <c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>), wrapped in
/// AES-256-GCM when <c>encryptionSecret</c> names a secret whose <c>key</c> holds 32 bytes in base64. One store per
/// resource version: an edited BackupStorage is opened afresh.
/// </summary>
public sealed class ObjectStoreProvider(IResourceStore resources, ISecretSource secrets) : IObjectStoreProvider, IDisposable
{
    public const string AccessKeyId = "AWS_ACCESS_KEY_ID";
    public const string SecretAccessKey = "AWS_SECRET_ACCESS_KEY";
    public const string EncryptionKey = "key";

    private readonly ConcurrentDictionary<ResourceId, (string Version, IObjectStore Store)> _open = new();

    public async Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default)
    {
        var resource = await resources.GetAsync<BackupStorage>(storage, cancellation)
            ?? throw new InvalidOperationException($"BackupStorage {storage} not found");
        var version = resource.Metadata.ResourceVersion ?? "";
        if (_open.TryGetValue(storage, out var open) && open.Version == version) return open.Store;

        var store = await OpenAsync(storage, resource, cancellation);
        if (_open.TryGetValue(storage, out var stale) && stale.Store is IDisposable disposable) disposable.Dispose();
        _open[storage] = (version, store);
        return store;
    }

    private async Task<IObjectStore> OpenAsync(ResourceId id, BackupStorage resource, CancellationToken cancellation)
    {
        var backend = resource.Spec?.Storage ?? throw new InvalidOperationException($"BackupStorage {id}: spec.storage is missing");
        IObjectStore store = backend.Provider switch
        {
            StorageProvider.Local => OpenLocal(id, backend.Local),
            StorageProvider.S3 => await OpenS3Async(id, backend.S3, cancellation),
            var other => throw new NotSupportedException(
                $"BackupStorage {id}: spec.storage.provider {other} is not supported by this node yet; use s3 (GCS and Azure offer S3-compatible endpoints) or local"),
        };

        if (resource.Spec?.EncryptionSecret is { } secret)
        {
            var reference = new ResourceId(string.IsNullOrEmpty(secret.Namespace) ? id.Namespace : secret.Namespace, secret.Name);
            byte[] key;
            try
            {
                key = Convert.FromBase64String((await secrets.ReadAsync(reference, EncryptionKey, cancellation)).Trim());
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"BackupStorage {id}: spec.encryptionSecret {reference} key '{EncryptionKey}' is not base64");
            }

            store = new EncryptedObjectStore(store, new EncryptionSettings(key));
        }

        return store;
    }

    private LocalFolderStore OpenLocal(ResourceId id, LocalBackendSpec? local)
    {
        if (local is null || string.IsNullOrEmpty(local.MountPath)) throw new InvalidOperationException($"BackupStorage {id}: spec.storage.local.mountPath is missing");
        var root = local.MountPath;
        if (!string.IsNullOrEmpty(local.SubPath)) root = Path.Combine(root, local.SubPath);
        Directory.CreateDirectory(root);
        return new LocalFolderStore(root);
    }

    private async Task<S3ObjectStore> OpenS3Async(ResourceId id, S3BackendSpec? s3, CancellationToken cancellation)
    {
        if (s3 is null) throw new InvalidOperationException($"BackupStorage {id}: spec.storage.s3 is missing");
        if (string.IsNullOrEmpty(s3.SecretName)) throw new InvalidOperationException($"BackupStorage {id}: spec.storage.s3.secretName names no credentials");
        var secret = new ResourceId(id.Namespace, s3.SecretName);
        var keys = await secrets.ReadAsync(secret, [AccessKeyId, SecretAccessKey], cancellation);
        return new S3ObjectStore(new S3Settings
        {
            ServiceUrl = new Uri(s3.Endpoint),
            Bucket = s3.Bucket,
            Prefix = s3.Prefix ?? "",
            Region = s3.Region ?? "us-east-1",
            ForcePathStyle = s3.ForcePathStyle ?? true,
            AccessKey = keys[0],
            SecretKey = keys[1],
        });
    }

    public void Dispose()
    {
        foreach (var (_, store) in _open.Values)
        {
            if (store is IDisposable disposable) disposable.Dispose();
        }
    }
}
