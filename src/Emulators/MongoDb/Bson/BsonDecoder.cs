using System.Buffers.Binary;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// Decodes the BSON of a command straight from its bytes into <see cref="CompactDocument"/>s, with element names
/// shared through <see cref="NameTable"/>. The driver's reader and <c>BsonDocumentSerializer</c> did the same work
/// through a reader state machine, a context object per nesting level, a fresh string per name and a
/// <see cref="BsonDocument"/> per document (a list grown by doubling and, past seven elements, a name dictionary):
/// decoding was the larger half of an <c>applyOps</c> of plain ops, and what it built is what the emulator stores and
/// logs. It takes only what it can decode exactly as the driver does (the common types, well formed); anything else
/// (a rare type, a malformed length, invalid UTF-8, a duplicate name) returns null, and the caller decodes the whole
/// message with the driver, which gives the same document or the same error as before.
/// </summary>
internal static class BsonDecoder
{
    // Past this many elements a document is built as the driver builds it: its dictionary beats a scan there.
    private const int CompactLimit = 32;

    // Nesting as deep as this is left to the driver (MongoDB's own limit is 100 levels plus a few).
    private const int MaxDepth = 120;

    [ThreadStatic]
    private static ElementStack? t_scratch;

    private static ElementStack Scratch => t_scratch ??= new ElementStack();

    /// <summary>The document of <paramref name="length"/> bytes at <paramref name="offset"/>, or null when the driver must decode it.</summary>
    public static BsonDocument? TryDecode(byte[] bytes, int offset, int length)
    {
        try
        {
            var span = bytes.AsSpan(offset, length);
            var position = 0;
            var document = ReadDocument(span, ref position, 0);
            return document is not null && position == length ? document : null;
        }
        catch (Exception e) when (e is DecoderFallbackException or ArgumentException or IndexOutOfRangeException)
        {
            // Invalid UTF-8, or lengths that run past the bytes: the driver says how.
            return null;
        }
    }

    private static BsonDocument? ReadDocument(ReadOnlySpan<byte> bytes, ref int position, int depth)
    {
        if (depth > MaxDepth || !TryReadSize(bytes, position, out var size))
        {
            return null;
        }

        var end = position + size - 1;
        position += 4;

        // The elements gather on the thread's scratch stack above those of the documents around this one, and are
        // copied once into an array of their exact count: a fresh array grown by doubling and then trimmed was two or
        // three arrays per document, the largest share of what decoding an applyOps allocated.
        var scratch = Scratch;
        var start = scratch.Top;
        try
        {
            while (position < end)
            {
                var type = bytes[position++];
                var name = ReadName(bytes, ref position);
                if (name is null || ReadValue(bytes, type, ref position, depth) is not { } value)
                {
                    return null;
                }

                scratch.Push(new BsonElement(name, value));
            }

            if (position != end || bytes[position] != 0)
            {
                return null;
            }

            position++;
            var count = scratch.Top - start;
            if (count > CompactLimit)
            {
                var large = new BsonDocument();
                for (var i = start; i < scratch.Top; i++)
                {
                    if (large.Contains(scratch.Items[i].Name))
                    {
                        return null;
                    }

                    large.Add(scratch.Items[i]);
                }

                return large;
            }

            var elements = count == 0 ? [] : scratch.Items.AsSpan(start, count).ToArray();
            return CompactDocument.TryCreate(elements, count);
        }
        finally
        {
            scratch.PopTo(start);
        }
    }

    private static BsonArray? ReadArray(ReadOnlySpan<byte> bytes, ref int position, int depth)
    {
        if (depth > MaxDepth || !TryReadSize(bytes, position, out var size))
        {
            return null;
        }

        var end = position + size - 1;
        position += 4;
        var values = new BsonArray();
        while (position < end)
        {
            var type = bytes[position++];
            // Array element names are ignored, as the driver's reader ignores them (it skips the C string).
            var terminator = bytes[position..end].IndexOf((byte)0);
            if (terminator < 0)
            {
                return null;
            }

            position += terminator + 1;
            if (ReadValue(bytes, type, ref position, depth) is not { } value)
            {
                return null;
            }

            values.Add(value);
        }

        if (position != end || bytes[position] != 0)
        {
            return null;
        }

        position++;
        return values;
    }

    private static BsonValue? ReadValue(ReadOnlySpan<byte> bytes, byte type, ref int position, int depth)
    {
        switch (type)
        {
            case 0x01:
                var d = BinaryPrimitives.ReadDoubleLittleEndian(bytes[position..]);
                position += 8;
                return new BsonDouble(d);
            case 0x02:
                return ReadString(bytes, ref position);
            case 0x03:
                return ReadDocument(bytes, ref position, depth + 1);
            case 0x04:
                return ReadArray(bytes, ref position, depth + 1);
            case 0x05:
                return ReadBinary(bytes, ref position);
            case 0x07:
                var id = new ObjectId(bytes.Slice(position, 12).ToArray());
                position += 12;
                return id;
            case 0x08:
                var flag = bytes[position++];
                return flag switch { 0 => BsonBoolean.False, 1 => BsonBoolean.True, _ => null };
            case 0x09:
                var ms = BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]);
                position += 8;
                // One past DateTime.MaxValue is rewritten by the driver's reader (FixOldDateTimeMaxValueOnInput): left to it.
                return ms == BsonConstants.DateTimeMaxValueMillisecondsSinceEpoch + 1 ? null : new BsonDateTime(ms);
            case 0x0A:
                return BsonNull.Value;
            case 0x10:
                var i = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
                position += 4;
                return (BsonInt32)i;
            case 0x11:
                var ts = BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]);
                position += 8;
                return new BsonTimestamp(ts);
            case 0x12:
                var l = BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]);
                position += 8;
                return (BsonInt64)l;
            case 0x13:
                var low = BinaryPrimitives.ReadUInt64LittleEndian(bytes[position..]);
                var high = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(position + 8)..]);
                position += 16;
                return new BsonDecimal128(Decimal128.FromIEEEBits(high, low));
            case 0x7F:
                return BsonMaxKey.Value;
            case 0xFF:
                return BsonMinKey.Value;
            default:
                // Undefined, regular expressions, DBPointer, JavaScript, symbols: rare, and left to the driver.
                return null;
        }
    }

    private static BsonString? ReadString(ReadOnlySpan<byte> bytes, ref int position)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
        if (length < 1 || bytes[position + 4 + length - 1] != 0)
        {
            return null;
        }

        var value = StringValueTable.Get(bytes.Slice(position + 4, length - 1));
        position += 4 + length;
        return value;
    }

    private static BsonBinaryData? ReadBinary(ReadOnlySpan<byte> bytes, ref int position)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
        var subType = (BsonBinarySubType)bytes[position + 4];
        // Generic data and standard UUIDs; the old binary subtype (its own inner length) and legacy UUIDs are the driver's.
        if (length < 0 || subType is not (BsonBinarySubType.Binary or BsonBinarySubType.UuidStandard) || (subType == BsonBinarySubType.UuidStandard && length != 16))
        {
            return null;
        }

        var data = bytes.Slice(position + 5, length).ToArray();
        position += 5 + length;
        return new BsonBinaryData(data, subType);
    }

    private static string? ReadName(ReadOnlySpan<byte> bytes, ref int position)
    {
        var length = bytes[position..].IndexOf((byte)0);
        if (length < 0)
        {
            return null;
        }

        var name = NameTable.Get(bytes.Slice(position, length));
        position += length + 1;
        return name;
    }

    private static bool TryReadSize(ReadOnlySpan<byte> bytes, int position, out int size)
    {
        size = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
        return size >= 5 && position + size <= bytes.Length;
    }
}
