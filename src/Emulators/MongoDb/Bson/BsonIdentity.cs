using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// Byte-level BSON helpers. MongoDB decides "unchanged" by binary equality (an Int32 1 is not a Double 1.0),
/// and sizes in bytes decide between a diff and a whole value, so both are computed on the encoding.
/// </summary>
internal static class BsonIdentity
{
    public static bool BinaryEquals(BsonValue a, BsonValue b) =>
        a.BsonType == b.BsonType && Encode(a).AsSpan().SequenceEqual(Encode(b));

    /// <summary>The encoded size of a value wrapped as the only element of a document (a stable measure for comparisons).</summary>
    public static int SizeOf(BsonValue value) => Encode(value).Length;

    public static byte[] Encode(BsonValue value) => new BsonDocument(string.Empty, value).ToBson();

    public static BsonDocument Decode(byte[] bytes, int offset, int length)
    {
        using var stream = new MemoryStream(bytes, offset, length, writable: false);
        using var reader = new BsonBinaryReader(stream);
        return BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader));
    }

    /// <summary>A deep copy, so stored documents never share mutable state with callers.</summary>
    public static BsonDocument Copy(BsonDocument document) => (BsonDocument)document.DeepClone();
}
