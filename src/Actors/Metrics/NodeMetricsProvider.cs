using Akka.Actor;

namespace Archiver.Actors.Metrics;

/// <summary>One <see cref="NodeMetrics"/> per actor system.</summary>
public sealed class NodeMetricsProvider : ExtensionIdProvider<NodeMetrics>
{
    public override NodeMetrics CreateExtension(ExtendedActorSystem system) => new();
}
