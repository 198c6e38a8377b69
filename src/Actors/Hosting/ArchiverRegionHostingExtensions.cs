using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Archiver.Actors.Archivers;
using Archiver.Actors.Ports;
using Archiver.Actors.Watching;
using Archiver.Messages.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Archiver.Actors.Hosting;

/// <summary>Marks the archiver shard region in the actor registry.</summary>
public sealed class ArchiverRegion;

/// <summary>Marks the resource watcher (a cluster singleton: one watch for the whole cluster).</summary>
public sealed class ResourceWatcher;

public static class ArchiverRegionHostingExtensions
{
    public static AkkaConfigurationBuilder WithArchivers(this AkkaConfigurationBuilder builder) =>
        builder.WithShardRegion<ArchiverRegion>(
            "archiver",
            (system, _, resolver) => id =>
            {
                var services = resolver.GetService<IServiceProvider>();
                return ArchiverActor.Props(
                    ResourceId.Parse(id),
                    services.GetRequiredService<IResourceStore>(),
                    ResourceCache.For(system),
                    services.GetService<IStorageJanitor>() ?? new NoStorageJanitor(),
                    services.GetService<IFullBackupRunner>() ?? new NoFullBackupRunner(),
                    services.GetService<ArchiverSettings>() ?? new ArchiverSettings(),
                    services.GetService<TimeProvider>() ?? TimeProvider.System,
                    services.GetService<IEventRecorder>());
            },
            new ArchiverMessageExtractor(),
            new ShardOptions
            {
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
            });

    /// <summary>The watch that drives the entities, run once in the cluster.</summary>
    public static AkkaConfigurationBuilder WithResourceWatcher(this AkkaConfigurationBuilder builder) =>
        builder.WithSingleton<ResourceWatcher>(
            "resource-watcher",
            (system, registry, resolver) => ResourceWatcherActor.Props(
                resolver.GetService<IServiceProvider>().GetRequiredService<IResourceStore>(),
                ResourceCache.For(system),
                resolver.GetService<IServiceProvider>().GetService<IStorageJanitor>() ?? new NoStorageJanitor(),
                registry.Get<ArchiverRegion>(),
                registry.Get<OpsRequestRegion>(),
                registry.Get<DatabaseRegion>(),
                resolver.GetService<IServiceProvider>().GetService<WatcherSettings>()),
            new ClusterSingletonOptions());
}
