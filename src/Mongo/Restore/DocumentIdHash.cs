using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// A hash of a document's <c>_id</c> that is equal for any two <c>_id</c>s MongoDB's <c>_id</c> index holds equal under
/// the simple collation, so two ops on one document always fall in one partition of the replay
/// (<see cref="ApplyOpsRound"/>). MongoDB's own secondaries partition by the same equality: a
/// <c>BSONElementComparator</c> hash of the <c>_id</c> element (mongodb/mongo
/// <c>src/mongo/db/repl/oplog_applier_utils.cpp</c>, <c>getWriterId</c>), which ignores the element's name, treats
/// the number types as one (<c>1</c>, <c>NumberLong(1)</c>, <c>1.0</c> and <c>NumberDecimal("1.00")</c> are the
/// same <c>_id</c>), strings and symbols as one, and null and undefined as one; embedded documents and arrays compare
/// element by element, their names included. A hash only needs equal values to agree (unequal ones may collide): numbers
/// are hashed as the nearest double, which is the same double for any two equal numbers whatever their types. Strings
/// are hashed by their bytes, which is the simple collation only: a collection with a collation of its own is
/// partitioned by namespace alone (<see cref="ApplyOpsRound"/>).
/// </summary>
internal static class DocumentIdHash
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    // The classes of values that can be equal to one another (mongo's canonicalizeBSONType), one tag each.
    private const byte NumberTag = 1, StringTag = 2, NullTag = 3, DocumentTag = 4, ArrayTag = 5;

    /// <summary>The hash of the <c>_id</c> element of the BSON document <paramref name="document"/>; false if it has none (or its bytes are not sound).</summary>
    public static bool TryHash(ReadOnlySpan<byte> document, out ulong hash)
    {
        hash = Offset;
        if (document.Length < 5)
        {
            return false;
        }

        var position = 4;
        var end = Math.Min(document.Length, BinaryPrimitives.ReadInt32LittleEndian(document)) - 1;
        while (position < end)
        {
            var type = document[position];
            var nameEnd = document[(position + 1)..].IndexOf((byte)0);
            if (nameEnd < 0)
            {
                return false;
            }

            var name = document.Slice(position + 1, nameEnd);
            var value = document[(position + 1 + nameEnd + 1)..];
            if (!OplogFields.TryValueLength(type, value, out var length) || length > value.Length)
            {
                return false;
            }

            if (name.SequenceEqual("_id"u8))
            {
                return TryHashValue(type, value[..length], ref hash);
            }

            position += 1 + nameEnd + 1 + length;
        }

        return false;
    }

    private static bool TryHashValue(byte type, ReadOnlySpan<byte> value, ref ulong hash)
    {
        switch (type)
        {
            case 0x01:
                return Number(BinaryPrimitives.ReadDoubleLittleEndian(value), ref hash);
            case 0x10:
                return Number(BinaryPrimitives.ReadInt32LittleEndian(value), ref hash);
            case 0x12:
                return Number(BinaryPrimitives.ReadInt64LittleEndian(value), ref hash);
            case 0x13:
                // The decimal's exact digits, rounded once to the nearest double (.NET Core 3.0+ parses correctly rounded):
                // the double an equal int or long converts to.
                var decimal128 = Decimal128.FromIEEEBits(BinaryPrimitives.ReadUInt64LittleEndian(value[8..]), BinaryPrimitives.ReadUInt64LittleEndian(value));
                return Number(double.Parse(decimal128.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture), ref hash);
            case 0x02 or 0x0E:
                // The string's bytes without its length and terminator.
                Add(StringTag, ref hash);
                Add(value[4..^1], ref hash);
                return true;
            case 0x0A or 0x06:
                Add(NullTag, ref hash);
                return true;
            case 0x03 or 0x04:
                Add(type == 0x03 ? DocumentTag : ArrayTag, ref hash);
                return TryHashElements(value, ref hash);
            default:
                // ObjectId, bool, date, timestamp, binary, min and max key, code: equal only to a value of their own type, byte for byte.
                Add(type, ref hash);
                Add(value, ref hash);
                return true;
        }
    }

    private static bool TryHashElements(ReadOnlySpan<byte> document, ref ulong hash)
    {
        var position = 4;
        var end = document.Length - 1;
        while (position < end)
        {
            var type = document[position];
            var nameEnd = document[(position + 1)..].IndexOf((byte)0);
            if (nameEnd < 0)
            {
                return false;
            }

            var value = document[(position + 1 + nameEnd + 1)..];
            if (!OplogFields.TryValueLength(type, value, out var length) || length > value.Length)
            {
                return false;
            }

            Add(document.Slice(position + 1, nameEnd), ref hash);
            Add(0, ref hash);
            if (!TryHashValue(type, value[..length], ref hash))
            {
                return false;
            }

            position += 1 + nameEnd + 1 + length;
        }

        return true;
    }

    private static bool Number(double number, ref ulong hash)
    {
        // -0.0 equals 0, and every NaN equals every other NaN in MongoDB's ordering.
        var bits = number == 0 ? 0 : double.IsNaN(number) ? BitConverter.DoubleToInt64Bits(double.NaN) : BitConverter.DoubleToInt64Bits(number);
        Add(NumberTag, ref hash);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, bits);
        Add(bytes, ref hash);
        return true;
    }

    /// <summary>FNV-1a over the bytes: a few bytes an op, and the same in every process.</summary>
    public static void Add(ReadOnlySpan<byte> bytes, ref ulong hash)
    {
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }
    }

    private static void Add(byte b, ref ulong hash) => hash = (hash ^ b) * Prime;

    /// <summary>The hash of a namespace, the start of every op's partition hash.</summary>
    public static ulong Namespace(string ns)
    {
        var hash = Offset;
        Add(Encoding.UTF8.GetBytes(ns), ref hash);
        return hash;
    }
}
