using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// Writes and reads a <see cref="CompactDocument"/> exactly as <see cref="BsonDocumentSerializer"/> does a
/// <see cref="BsonDocument"/>. Needed because the driver looks serializers up by a value's own type in places
/// (<c>ToBson()</c>, <c>ToJson()</c>): unregistered, a document that enumerates its elements would be taken for a
/// collection and written as an array.
/// </summary>
internal sealed class CompactDocumentSerializer : SerializerBase<CompactDocument>
{
    public override void Serialize(BsonSerializationContext context, BsonSerializationArgs args, CompactDocument value)
    {
        // As its nominal type: otherwise the document serializer, seeing a subclass, would look this one up again.
        args.SerializeAsNominalType = true;
        BsonDocumentSerializer.Instance.Serialize(context, args, value);
    }

    public override CompactDocument Deserialize(BsonDeserializationContext context, BsonDeserializationArgs args)
    {
        var document = BsonDocumentSerializer.Instance.Deserialize(context, args);
        var compact = new CompactDocument(document.ElementCount) { AllowDuplicateNames = document.AllowDuplicateNames };
        foreach (var element in document)
        {
            compact.Add(element);
        }

        return compact;
    }
}
