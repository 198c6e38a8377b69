using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Storage.Backends;

namespace Archiver.Host.Adapters;

/// <summary>Empties a repository folder for the WipeOut deletion policies. Deleting what is already gone is fine.</summary>
public sealed class StorageJanitor(IObjectStoreProvider stores) : IStorageJanitor
{
    public async Task<long> WipeAsync(ResourceId storage, string prefix, CancellationToken cancellation = default)
    {
        if (string.IsNullOrWhiteSpace(prefix) || prefix.Trim('/').Length == 0)
        {
            // An empty prefix would be the whole storage: never what a deletion policy means.
            throw new ArgumentException($"refusing to wipe the root of {storage}", nameof(prefix));
        }

        var store = await stores.OpenAsync(storage, cancellation);
        return await store.DeletePrefixAsync(prefix.TrimEnd('/') + "/", cancellation);
    }
}
