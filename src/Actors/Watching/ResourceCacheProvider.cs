using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Event;
using Archiver.Actors.Ports;

namespace Archiver.Actors.Watching;

/// <summary>
/// One <see cref="ResourceCache"/> per actor system, over the store the node was composed with, so every entity
/// and the watcher on a node share one list and one watch (as controllers in one process share informers).
/// </summary>
public sealed class ResourceCacheProvider : ExtensionIdProvider<ResourceCache>
{
    public override ResourceCache CreateExtension(ExtendedActorSystem system)
    {
        var store = DependencyResolver.For(system).Resolver.GetService<IResourceStore>()
            ?? throw new InvalidOperationException("no IResourceStore is registered for this node");
        var log = Logging.GetLogger(system, typeof(ResourceCache));
        var cache = new ResourceCache(store, e => log.Warning(e, "the resource watch failed; listing and watching again"));
        system.RegisterOnTermination(cache.Dispose);
        return cache.Start();
    }
}
