using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Serialization;

/// <summary>
/// The one binding of <see cref="ArchiverSerializer"/> to the protocol's root marker. The node composes it through
/// Akka.Hosting (<see cref="WithArchiverSerialization"/>); an actor system made without Akka.Hosting (a TestKit
/// spec of one actor) takes the same binding as a setup (<see cref="Setup"/>), so no one retypes it in HOCON.
/// </summary>
public static class ArchiverSerialization
{
    public const string SerializerName = "archiver";

    /// <summary>Every message, event, state and snapshot of the protocol goes through our serializer.</summary>
    public static readonly IReadOnlyList<Type> BoundTypes = [typeof(IArchiverProtocolMember)];

    public static AkkaConfigurationBuilder WithArchiverSerialization(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer(SerializerName, BoundTypes, Create);

    public static SerializationSetup Setup() =>
        SerializationSetup.Create(system => [SerializerDetails.Create(SerializerName, Create(system), [.. BoundTypes])]);

    private static ArchiverSerializer Create(ExtendedActorSystem system) => new(system);
}
