using Akka.Cluster.Hosting;
using Akka.Hosting;
using Archiver.Actors.Ports;
using Archiver.Actors.StorageIndexes;
using Archiver.Messages.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Archiver.Actors.Hosting;

/// <summary>Marks the storage index shard region in the actor registry.</summary>
public sealed class StorageIndexRegion;

public static class StorageIndexHostingExtensions
{
    /// <summary>One index per backup storage; not remembered, since it rebuilds from the repository on first use.</summary>
    public static AkkaConfigurationBuilder WithStorageIndexes(this AkkaConfigurationBuilder builder) =>
        builder.WithShardRegion<StorageIndexRegion>(
            "storageindex",
            (_, _, resolver) => id =>
            {
                var services = resolver.GetService<IServiceProvider>();
                return StorageIndexActor.Props(
                    ResourceId.Parse(id),
                    services.GetService<IObjectStoreProvider>() ?? new NoObjectStoreProvider(),
                    services.GetService<StorageIndexSettings>() ?? new StorageIndexSettings(),
                    services.GetService<TimeProvider>() ?? TimeProvider.System,
                    services.GetService<Storage.VolumeSnapshots.IVolumeSnapshotter>());
            },
            new StorageIndexMessageExtractor(),
            // Explicitly: the node's configuration turns remembering on for every region. Remembering an index would
            // also make its shard wait on the journal before it answers, which under a burst of new entities is long.
            new ShardOptions { RememberEntities = false });
}
