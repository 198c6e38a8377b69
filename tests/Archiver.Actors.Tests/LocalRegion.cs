using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Archiver.Actors.Tests;

/// <summary>
/// What a shard region does on one node, for tests without a cluster: routes each message by the production
/// message extractor to a child entity, creating it on first use, and honours Passivate.
/// </summary>
internal sealed class LocalRegion : ReceiveActor
{
    public LocalRegion(IMessageExtractor extractor, Func<string, Props> props)
    {
        Receive<Passivate>(p => Sender.Tell(p.StopMessage));
        ReceiveAny(message =>
        {
            if (extractor.EntityId(message) is not { } id) return;
            var name = Uri.EscapeDataString(id);
            var child = Context.Child(name);
            if (child.IsNobody()) child = Context.ActorOf(props(id), name);
            child.Forward(extractor.EntityMessage(message));
        });
    }

    public static Props Props(IMessageExtractor extractor, Func<string, Props> props) =>
        Akka.Actor.Props.Create(() => new LocalRegion(extractor, props));
}
