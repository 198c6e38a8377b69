using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;

namespace Archiver.Host.Adapters;

/// <summary>
/// The node's object stores, one per BackupStorage resource version (an edited BackupStorage is opened afresh),
/// opened by <see cref="StorageBackends"/> as the sidecars open them. In a cluster (<see cref="LocalFolders.Mounted"/>)
/// a local storage is used only where the node has its volume mounted.
/// </summary>
public sealed class ObjectStoreProvider(IResourceStore resources, ISecretSource secrets, LocalFolders localFolders = LocalFolders.Create) : IObjectStoreProvider, IDisposable
{
    public const string AccessKeyId = BackupStorageSecrets.AccessKeyId;
    public const string SecretAccessKey = BackupStorageSecrets.SecretAccessKey;
    public const string EncryptionKey = BackupStorageSecrets.EncryptionKey;

    private readonly ConcurrentDictionary<ResourceId, (string Version, IObjectStore Store)> _open = new();

    public async Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default)
    {
        var resource = await resources.GetAsync<BackupStorage>(storage, cancellation)
            ?? throw new InvalidOperationException($"BackupStorage {storage} not found");
        var version = resource.Metadata.ResourceVersion ?? "";
        if (_open.TryGetValue(storage, out var open) && open.Version == version) return open.Store;

        var store = await StorageBackends.OpenAsync(resource, secrets, localFolders, cancellation);
        if (_open.TryGetValue(storage, out var stale) && stale.Store is IDisposable disposable) disposable.Dispose();
        _open[storage] = (version, store);
        return store;
    }

    public void Dispose()
    {
        foreach (var (_, store) in _open.Values)
        {
            if (store is IDisposable disposable) disposable.Dispose();
        }
    }
}
