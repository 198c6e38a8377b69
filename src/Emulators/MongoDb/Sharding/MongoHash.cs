using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// MongoDB's hash of a shard-key value for hashed sharding (<c>BSONElementHasher::hash64</c> in src/mongo/db/hasher.cpp):
/// MD5 over the seed (0), the value's canonical type and its bytes, numbers squashed to a 64-bit integer, embedded
/// documents and arrays hashed element by element with their field names; the first 8 bytes of the digest, little
/// endian. The same value lands in the same chunk as on a real cluster, and hasher.cpp's own check value holds
/// (<c>{check: 42}</c> hashes to -944302157085130861).
/// </summary>
internal static class MongoHash
{
    public static long Hash64(BsonValue value)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, 0);
        md5.AppendData(four);
        Append(md5, value, fieldName: null);
        Span<byte> digest = stackalloc byte[16];
        md5.GetHashAndReset(digest);
        return BinaryPrimitives.ReadInt64LittleEndian(digest);
    }

    private static void Append(IncrementalHash md5, BsonValue value, string? fieldName)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, CanonicalType(value));
        md5.AppendData(buffer[..4]);
        if (fieldName is not null)
        {
            md5.AppendData(CString(fieldName));
        }

        switch (value)
        {
            case BsonInt32 or BsonInt64 or BsonDouble or BsonDecimal128:
                BinaryPrimitives.WriteInt64LittleEndian(buffer, NumberForHash(value));
                md5.AppendData(buffer);
                break;
            case BsonDocument document:
                foreach (var element in document)
                {
                    Append(md5, element.Value, element.Name);
                }

                EndOfObject(md5);
                break;
            case BsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Append(md5, array[i], i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                EndOfObject(md5);
                break;
            default:
                md5.AppendData(ValueBytes(value));
                break;
        }
    }

    /// <summary>The EOO element that closes an embedded object: canonical type 0, an empty name, no value.</summary>
    private static void EndOfObject(IncrementalHash md5)
    {
        Span<byte> zero = stackalloc byte[4];
        md5.AppendData(zero);
    }

    /// <summary>canonicalizeBSONType in src/mongo/bson/bsontypes.cpp.</summary>
    private static int CanonicalType(BsonValue value) => value.BsonType switch
    {
        BsonType.MinKey => -1,
        BsonType.MaxKey => 127,
        BsonType.Undefined => 0,
        BsonType.Null => 5,
        BsonType.Int32 or BsonType.Int64 or BsonType.Double or BsonType.Decimal128 => 10,
        BsonType.String or BsonType.Symbol => 15,
        BsonType.Document => 20,
        BsonType.Array => 25,
        BsonType.Binary => 30,
        BsonType.ObjectId => 35,
        BsonType.Boolean => 40,
        BsonType.DateTime => 45,
        BsonType.Timestamp => 47,
        BsonType.RegularExpression => 50,
        BsonType.JavaScript => 60,
        BsonType.JavaScriptWithScope => 65,
        _ => throw new ArgumentException($"cannot hash a {value.BsonType}"),
    };

    /// <summary>safeNumberLongForHash: doubles truncate toward zero and saturate; NaN hashes as the lowest long.</summary>
    private static long NumberForHash(BsonValue value)
    {
        switch (value)
        {
            case BsonInt32 i:
                return i.Value;
            case BsonInt64 l:
                return l.Value;
            default:
                var d = value.ToDouble();
                if (double.IsNaN(d)) return long.MinValue;
                if (d >= 9223372036854775807.0) return long.MaxValue;
                if (d <= -9223372036854775808.0) return long.MinValue;
                return (long)d;
        }
    }

    /// <summary>The element's value bytes as BSON lays them out (<c>BSONElement::value()</c>, <c>valuesize()</c>).</summary>
    private static byte[] ValueBytes(BsonValue value)
    {
        var element = new BsonDocument("v", value).ToBson();
        // A one-element document: int32 size, type byte, "v\0", value, terminating 0.
        return element[7..^1];
    }

    private static byte[] CString(string name)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, bytes);
        return bytes;
    }
}
