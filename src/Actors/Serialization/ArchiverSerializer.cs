using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Serialization;

/// <summary>
/// Serializes every <see cref="IArchiverProtocolMember"/> as UTF-8 JSON under a versioned manifest from
/// <see cref="ProtocolContracts"/>, never with .NET type names, so journals written by one version of Archiver
/// are read by the next. Unknown manifests fail loudly rather than being guessed.
/// </summary>
public sealed class ArchiverSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4150;

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        ProtocolContracts.ManifestOf.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} has no contract in ProtocolContracts; register it with a versioned name");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (ProtocolContracts.TypeOf.TryGetValue(manifest, out var type))
        {
            return JsonSerializer.Deserialize(bytes, type, Options)
                ?? throw new SerializationException($"{manifest}: the payload is null");
        }

        return ProtocolContracts.Migrations.TryGetValue(manifest, out var migrate)
            ? migrate(bytes)
            : throw new SerializationException($"unknown manifest \"{manifest}\": written by a newer Archiver, or never registered");
    }
}
