using Akka.Actor;
using Akka.Actor.Setup;
using Archiver.Actors.Serialization;

namespace Archiver.Actors.Tests;

/// <summary>
/// The actor system of a spec that tests actors in isolation on the TestKit's own system (no cluster, no sharding,
/// no SQL journal: what <see cref="Hosting.ArchiverHostingExtensions.AddArchiver"/> adds around them is tested by
/// the node specs). The serializer comes from the code the node uses (<see cref="ArchiverSerialization"/>); what is
/// written here is only what a test wants and a node does not.
/// </summary>
internal static class TestSystem
{
    /// <summary>Every message serialized as if it crossed nodes; journal and snapshots in memory.</summary>
    public static ActorSystemSetup Actors => BootstrapSetup.Create()
        .WithConfig(Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = INFO
            akka.actor.serialize-messages = on
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """))
        .And(ArchiverSerialization.Setup());
}
