using System.Diagnostics;
using System.Text;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// Byte-level BSON helpers. MongoDB decides "unchanged" by binary equality (an Int32 1 is not a Double 1.0),
/// and sizes in bytes decide between a diff and a whole value, so both are answered as the encoding would answer
/// them. The common types are compared and measured without encoding (the applier asks once per op); the rare
/// ones, and anything the encoder would refuse, go through the encoder itself.
/// </summary>
internal static class BsonIdentity
{
    // The encoder's own UTF-8 (strict): a string it would refuse is refused here too.
    // Subtype 2, which the encoder rewrites (with its extra length) rather than writes as is: left to the encoder.
    private const BsonBinarySubType OldBinary = (BsonBinarySubType)2;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool BinaryEquals(BsonValue a, BsonValue b)
    {
        var equal = SameEncoding(a, b);
        Debug.Assert(equal == EncodedEquals(a, b), "structural binary equality disagrees with the encoding");
        return equal;
    }

    /// <summary>The encoded size of a value wrapped as the only element of a document (a stable measure for comparisons).</summary>
    public static int SizeOf(BsonValue value) => Encode(value).Length;

    /// <summary>What <c>document.ToBson().Length</c> would be, without encoding it.</summary>
    public static int EncodedSize(BsonDocument document)
    {
        var size = DocumentSize(document);
        Debug.Assert(size == document.ToBson().Length, "computed BSON size disagrees with the encoding");
        return size;
    }

    public static byte[] Encode(BsonValue value) => new BsonDocument(string.Empty, value).ToBson();

    /// <summary>
    /// The document at <paramref name="offset"/>: through <see cref="BsonDecoder"/>, or the driver's reader for what
    /// that one leaves to it (and for what is malformed, so the error is the driver's).
    /// </summary>
    public static BsonDocument Decode(byte[] bytes, int offset, int length) =>
        BsonDecoder.TryDecode(bytes, offset, length) ?? DecodeWithDriver(bytes, offset, length);

    /// <summary>The driver's decoding of the document at <paramref name="offset"/>: what <see cref="BsonDecoder"/> must agree with.</summary>
    public static BsonDocument DecodeWithDriver(byte[] bytes, int offset, int length)
    {
        using var stream = new MemoryStream(bytes, offset, length, writable: false);
        using var reader = new BsonBinaryReader(stream);
        return BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader));
    }

    /// <summary>A deep copy, so stored documents never share mutable state with callers.</summary>
    public static BsonDocument Copy(BsonDocument document) => (BsonDocument)document.DeepClone();

    /// <summary>
    /// A copy of the top level only: nested documents and arrays are shared with <paramref name="document"/>. For
    /// copy-on-write of stored documents, which nothing mutates in place: whoever changes a nested value of the
    /// copy must first replace it with its own copy (as <see cref="Oplog.UpdateDiffApplier"/> does).
    /// </summary>
    public static BsonDocument ShallowCopy(BsonDocument document)
    {
        // Compact: the copy is what an update stores (see CompactDocument).
        var copy = new CompactDocument(document.ElementCount);
        for (var i = 0; i < document.ElementCount; i++)
        {
            copy.Add(document.GetElement(i));
        }

        return copy;
    }

    private static bool EncodedEquals(BsonValue a, BsonValue b) => a.BsonType == b.BsonType && Encode(a).AsSpan().SequenceEqual(Encode(b));

    private static bool SameEncoding(BsonValue a, BsonValue b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.BsonType != b.BsonType)
        {
            return false;
        }

        switch (a.BsonType)
        {
            case BsonType.Document:
                var x = (BsonDocument)a;
                var y = (BsonDocument)b;
                if (x.ElementCount != y.ElementCount)
                {
                    return false;
                }

                for (var i = 0; i < x.ElementCount; i++)
                {
                    var ex = x.GetElement(i);
                    var ey = y.GetElement(i);
                    if (!string.Equals(ex.Name, ey.Name, StringComparison.Ordinal) || !SameEncoding(ex.Value, ey.Value))
                    {
                        return false;
                    }
                }

                return true;
            case BsonType.Array:
                var xs = (BsonArray)a;
                var ys = (BsonArray)b;
                if (xs.Count != ys.Count)
                {
                    return false;
                }

                for (var i = 0; i < xs.Count; i++)
                {
                    if (!SameEncoding(xs[i], ys[i]))
                    {
                        return false;
                    }
                }

                return true;
            case BsonType.Double:
                return BitConverter.DoubleToInt64Bits(a.AsDouble) == BitConverter.DoubleToInt64Bits(b.AsDouble);
            case BsonType.String:
                return string.Equals(a.AsString, b.AsString, StringComparison.Ordinal);
            case BsonType.Int32:
                return a.AsInt32 == b.AsInt32;
            case BsonType.Int64:
                return a.AsInt64 == b.AsInt64;
            case BsonType.Boolean:
                return a.AsBoolean == b.AsBoolean;
            case BsonType.DateTime:
                return a.AsBsonDateTime.MillisecondsSinceEpoch == b.AsBsonDateTime.MillisecondsSinceEpoch;
            case BsonType.Timestamp:
                return a.AsBsonTimestamp.Value == b.AsBsonTimestamp.Value;
            case BsonType.ObjectId:
                return a.AsObjectId == b.AsObjectId;
            case BsonType.Null or BsonType.Undefined or BsonType.MinKey or BsonType.MaxKey:
                return true;
            case BsonType.Decimal128:
                var dx = a.AsDecimal128;
                var dy = b.AsDecimal128;
                return dx.GetIEEEHighBits() == dy.GetIEEEHighBits() && dx.GetIEEELowBits() == dy.GetIEEELowBits();
            case BsonType.Binary when a.AsBsonBinaryData.SubType != OldBinary && b.AsBsonBinaryData.SubType != OldBinary:
                var bx = a.AsBsonBinaryData;
                var by = b.AsBsonBinaryData;
                return bx.SubType == by.SubType && bx.Bytes.AsSpan().SequenceEqual(by.Bytes);
            default:
                return EncodedEquals(a, b);
        }
    }

    private static int DocumentSize(BsonDocument document)
    {
        var size = 5;
        for (var i = 0; i < document.ElementCount; i++)
        {
            var element = document.GetElement(i);
            size += NameSize(element.Name) + ValueSize(element.Value);
        }

        return size;
    }

    private static int ArraySize(BsonArray array)
    {
        var size = 5;
        for (var i = 0; i < array.Count; i++)
        {
            // The element names are the indexes in decimal.
            size += Digits(i) + 2 + ValueSize(array[i]);
        }

        return size;
    }

    /// <summary>Type byte, name and its terminator.</summary>
    private static int NameSize(string name) =>
        name.Contains('\0') ? throw new ArgumentException($"Element name '{name}' is not valid because it contains a null character.") : StrictUtf8.GetByteCount(name) + 2;

    private static int ValueSize(BsonValue value) => value.BsonType switch
    {
        BsonType.Document => DocumentSize((BsonDocument)value),
        BsonType.Array => ArraySize((BsonArray)value),
        BsonType.String => 5 + StrictUtf8.GetByteCount(value.AsString),
        BsonType.Double or BsonType.DateTime or BsonType.Timestamp or BsonType.Int64 => 8,
        BsonType.Int32 => 4,
        BsonType.Boolean => 1,
        BsonType.ObjectId => 12,
        BsonType.Decimal128 => 16,
        BsonType.Null or BsonType.Undefined or BsonType.MinKey or BsonType.MaxKey => 0,
        BsonType.Binary when value.AsBsonBinaryData.SubType != OldBinary => 5 + value.AsBsonBinaryData.Bytes.Length,
        // {"": value} is the value, its type byte, an empty name and the document's own 5 bytes.
        _ => Encode(value).Length - 7,
    };

    private static int Digits(int i) => i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : i < 10_000 ? 4 : i < 100_000 ? 5 : i < 1_000_000 ? 6 : i < 10_000_000 ? 7 : i < 100_000_000 ? 8 : i < 1_000_000_000 ? 9 : 10;
}
