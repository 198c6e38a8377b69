namespace Archiver.Actors.Databases;

/// <summary>
/// What the database shard region sends an entity it hands to another node (a rebalance after a node joined, a node
/// leaving gracefully), in place of a PoisonPill (Akka.Cluster.Sharding's <c>handOffStopMessage</c>): the entity stops
/// only once its restore run and full-backup runs have ended, so the node that takes it over never runs them beside
/// these (see <see cref="DatabaseActor"/>'s hand-off).
/// </summary>
public sealed record DatabaseHandOff
{
    public static readonly DatabaseHandOff Instance = new();
}
