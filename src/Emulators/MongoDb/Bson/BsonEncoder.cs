using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// Encodes a document as the driver's <c>ToBson()</c> does, into one array of the exact size (measured first by
/// <see cref="BsonIdentity.EncodedSize"/>), for the common types the emulator stores; anything else (a rare type, the
/// old binary subtype, a string the strict UTF-8 encoder refuses, a document over the driver's size limit) goes to the
/// driver, so the bytes or the error are the driver's. <see cref="BsonDecoder"/> is its reverse. The driver's writer
/// goes through a stream, a context object per nesting level and a growing buffer copied out at the end; this writes
/// each byte once. Debug builds check every result against the driver.
/// </summary>
internal static class BsonEncoder
{
    // The driver's own UTF-8 for strings and names: invalid surrogates throw.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What <c>document.ToBson()</c> returns.</summary>
    public static byte[] Encode(BsonDocument document)
    {
        var bytes = TryEncode(document) ?? document.ToBson();
        Debug.Assert(bytes.AsSpan().SequenceEqual(document.ToBson()), "the emulator's encoding disagrees with the driver's");
        return bytes;
    }

    private static byte[]? TryEncode(BsonDocument document)
    {
        try
        {
            var size = BsonIdentity.EncodedSize(document);
            if (size > BsonDefaults.MaxDocumentSize)
            {
                return null;
            }

            var bytes = new byte[size];
            var position = 0;
            return WriteDocument(bytes, ref position, document) && position == size ? bytes : null;
        }
        catch (Exception e) when (e is EncoderFallbackException or ArgumentException)
        {
            // A string or name the driver refuses: it says how.
            return null;
        }
    }

    private static bool WriteDocument(byte[] bytes, ref int position, BsonDocument document)
    {
        var start = position;
        position += 4;
        for (var i = 0; i < document.ElementCount; i++)
        {
            var element = document.GetElement(i);
            if (!WriteElement(bytes, ref position, element.Name, element.Value))
            {
                return false;
            }
        }

        bytes[position++] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(start), position - start);
        return true;
    }

    private static bool WriteArray(byte[] bytes, ref int position, BsonArray array)
    {
        var start = position;
        position += 4;
        Span<char> digits = stackalloc char[11];
        for (var i = 0; i < array.Count; i++)
        {
            // The element names are the indexes in decimal.
            i.TryFormat(digits, out var length, provider: System.Globalization.CultureInfo.InvariantCulture);
            if (!WriteElement(bytes, ref position, digits[..length], array[i]))
            {
                return false;
            }
        }

        bytes[position++] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(start), position - start);
        return true;
    }

    private static bool WriteElement(byte[] bytes, ref int position, ReadOnlySpan<char> name, BsonValue value)
    {
        var type = value.BsonType;
        if (type is BsonType.Binary && value.AsBsonBinaryData.SubType == (BsonBinarySubType)2)
        {
            // The old binary subtype, which the driver rewrites with its extra length: left to it.
            return false;
        }

        bytes[position++] = (byte)type;
        position += StrictUtf8.GetBytes(name, bytes.AsSpan(position));
        bytes[position++] = 0;
        switch (type)
        {
            case BsonType.Document:
                return WriteDocument(bytes, ref position, (BsonDocument)value);
            case BsonType.Array:
                return WriteArray(bytes, ref position, (BsonArray)value);
            case BsonType.String:
                var length = StrictUtf8.GetBytes(value.AsString, bytes.AsSpan(position + 4));
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), length + 1);
                position += 4 + length;
                bytes[position++] = 0;
                return true;
            case BsonType.Double:
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(position), value.AsDouble);
                position += 8;
                return true;
            case BsonType.Int32:
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), value.AsInt32);
                position += 4;
                return true;
            case BsonType.Int64:
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(position), value.AsInt64);
                position += 8;
                return true;
            case BsonType.DateTime:
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(position), value.AsBsonDateTime.MillisecondsSinceEpoch);
                position += 8;
                return true;
            case BsonType.Timestamp:
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(position), value.AsBsonTimestamp.Value);
                position += 8;
                return true;
            case BsonType.Boolean:
                bytes[position++] = value.AsBoolean ? (byte)1 : (byte)0;
                return true;
            case BsonType.ObjectId:
                value.AsObjectId.ToByteArray(bytes, position);
                position += 12;
                return true;
            case BsonType.Decimal128:
                var decimal128 = value.AsDecimal128;
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(position), decimal128.GetIEEELowBits());
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(position + 8), decimal128.GetIEEEHighBits());
                position += 16;
                return true;
            case BsonType.Binary:
                var binary = value.AsBsonBinaryData;
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), binary.Bytes.Length);
                bytes[position + 4] = (byte)binary.SubType;
                binary.Bytes.CopyTo(bytes.AsSpan(position + 5));
                position += 5 + binary.Bytes.Length;
                return true;
            case BsonType.Null or BsonType.MinKey or BsonType.MaxKey:
                return true;
            default:
                // Undefined, regular expressions, JavaScript, symbols, DBPointer: rare, and left to the driver.
                return false;
        }
    }
}
