using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Storage.Backends;

namespace Archiver.Bench.Actors;

/// <summary>
/// Every BackupStorage as one local folder, so the StorageIndex lists real (empty) repositories when archived
/// databases read their recoverable windows, as it would in production, rather than failing on each one.
/// </summary>
internal sealed class FolderStores(string root) : IObjectStoreProvider
{
    private readonly LocalFolderStore _store = new(root);

    public Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default) => Task.FromResult<IObjectStore>(_store);
}
