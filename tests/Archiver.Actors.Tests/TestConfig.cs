using Akka.Configuration;

namespace Archiver.Actors.Tests;

internal static class TestConfig
{
    /// <summary>In-memory journal, our serializer bound, and every message serialized as if it crossed nodes.</summary>
    public static Config Actors => ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.actor.serialize-messages = on
        akka.actor.serializers.archiver = "Archiver.Actors.Serialization.ArchiverSerializer, Archiver.Actors"
        akka.actor.serialization-bindings { "Archiver.Messages.Protocol.IArchiverProtocolMember, Archiver.Messages" = archiver }
        akka.actor.serialization-identifiers { "Archiver.Actors.Serialization.ArchiverSerializer, Archiver.Actors" = 4150 }
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);
}
