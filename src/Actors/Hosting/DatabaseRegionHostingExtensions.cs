using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Archiver.Actors.Databases;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Actors.Watching;
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
            (system, registry, resolver) => id =>
            {
                var services = resolver.GetService<IServiceProvider>();
                var store = services.GetRequiredService<IResourceStore>();
                var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
                var steps = services.GetService<IOpsRequestSteps>() ?? new OpsRequestSteps(store, services.GetRequiredService<IArchivingWorkloads>(), clock);
                var ports = new DatabasePorts(
                    store,
                    services.GetService<IFullBackupRunner>() ?? new NoFullBackupRunner(),
                    steps,
                    registry.Get<StorageIndexRegion>(),
                    services.GetService<IRestoreRunner>() ?? new NoRestoreRunner(),
                    services.GetRequiredService<IArchivingWorkloads>(),
                    ResourceCache.For(system).Start(),
                    services.GetService<IEventRecorder>());
                return DatabaseActor.Props(
                    ResourceId.Parse(id),
                    ports,
                    services.GetService<DatabaseSettings>() ?? new DatabaseSettings(),
                    clock);
            },
            new DatabaseMessageExtractor(),
            new ShardOptions
            {
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
                // Not a PoisonPill: an entity handed to another node stops once its restore and backup runs have ended.
                HandOffStopMessage = DatabaseHandOff.Instance,
            });
}
