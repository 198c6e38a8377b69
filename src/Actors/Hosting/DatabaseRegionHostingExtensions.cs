using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Archiver.Actors.Hosting;

/// <summary>Marks the database shard region in the actor registry.</summary>
public sealed class DatabaseRegion;

public static class DatabaseRegionHostingExtensions
{
    public static AkkaConfigurationBuilder WithDatabases(this AkkaConfigurationBuilder builder) =>
        builder.WithShardRegion<DatabaseRegion>(
            "database",
            (_, _, resolver) => id =>
            {
                var services = resolver.GetService<IServiceProvider>();
                return DatabaseActor.Props(
                    ResourceId.Parse(id),
                    services.GetRequiredService<IResourceStore>(),
                    services.GetService<IFullBackupRunner>() ?? new NoFullBackupRunner(),
                    services.GetService<DatabaseSettings>() ?? new DatabaseSettings(),
                    services.GetService<TimeProvider>() ?? TimeProvider.System);
            },
            new DatabaseMessageExtractor(),
            new ShardOptions
            {
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
            });
}
