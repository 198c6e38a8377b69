using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Hosting;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage.Backends;

namespace Archiver.Host.Adapters;

/// <summary>
/// Empties a repository folder for the WipeOut deletion policies. Deleting what is already gone is fine. The
/// storage's index then reads the folder again before it answers anything about it, so no window or plan offers
/// what was wiped.
/// </summary>
public sealed class StorageJanitor(IObjectStoreProvider stores, ActorRegistry registry) : IStorageJanitor
{
    public async Task<long> WipeAsync(ResourceId storage, string prefix, CancellationToken cancellation = default)
    {
        if (string.IsNullOrWhiteSpace(prefix) || prefix.Trim('/').Length == 0)
        {
            // An empty prefix would be the whole storage: never what a deletion policy means.
            throw new ArgumentException($"refusing to wipe the root of {storage}", nameof(prefix));
        }

        var store = await stores.OpenAsync(storage, cancellation);
        try
        {
            return await store.DeletePrefixAsync(prefix.TrimEnd('/') + "/", cancellation);
        }
        finally
        {
            // Even a wipe that failed half-way deleted something.
            if (registry.TryGet<StorageIndexRegion>(out var indexes)) indexes.Tell(new RefreshCatalog(storage, prefix.TrimEnd('/'), Deleted: true));
        }
    }
}
