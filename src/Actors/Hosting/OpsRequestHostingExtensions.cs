using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Archiver.Actors.Hosting;

/// <summary>Marks the ops request shard region in the actor registry.</summary>
public sealed class OpsRequestRegion;

public static class OpsRequestHostingExtensions
{
    /// <summary>The ops request shard region; its entities get the ports from the service provider.</summary>
    public static AkkaConfigurationBuilder WithOpsRequests(this AkkaConfigurationBuilder builder) =>
        builder.WithShardRegion<OpsRequestRegion>(
            "opsrequest",
            (_, _, resolver) => id =>
            {
                var services = resolver.GetService<IServiceProvider>();
                var store = services.GetRequiredService<IResourceStore>();
                var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
                var steps = services.GetService<IOpsRequestSteps>() ?? new OpsRequestSteps(store, services.GetRequiredService<IArchivingWorkloads>(), clock);
                var settings = services.GetService<OpsRequestSettings>() ?? new OpsRequestSettings();
                return OpsRequestActor.Props(ResourceId.Parse(id), steps, store, settings, clock, services.GetService<IEventRecorder>());
            },
            new OpsRequestMessageExtractor(),
            new ShardOptions
            {
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
            });
}
