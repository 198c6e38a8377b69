using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Archiver.Storage;
using MongoDB.Bson;

namespace Archiver.Mongo;

/// <summary>
/// Reads the top-level <c>ts</c> and <c>wall</c> of a raw oplog document without deserialising it: the archiver
/// keeps documents byte-exact and must not pay for a parse of every entry just to learn two fields.
/// </summary>
public static class OplogFields
{
    /// <summary>Finds <c>ts</c> and <c>wall</c>; an entry without <c>wall</c> (pre-3.6) gets its <c>ts</c> seconds in ms.</summary>
    public static (OplogTimestamp Ts, long WallUnixMs) Read(ReadOnlySpan<byte> document)
    {
        OplogTimestamp? ts = null;
        long? wall = null;
        var position = 4;
        var end = BinaryPrimitives.ReadInt32LittleEndian(document) - 1;
        while (position < end && (ts is null || wall is null))
        {
            var type = document[position++];
            var nameStart = position;
            var nameLength = document[position..].IndexOf((byte)0);
            var name = document.Slice(nameStart, nameLength);
            position += nameLength + 1;
            if (type == 0x11 && name.SequenceEqual("ts"u8))
            {
                ts = OplogTimestamp.FromValue(BinaryPrimitives.ReadUInt64LittleEndian(document[position..]));
            }
            else if (type == 0x09 && name.SequenceEqual("wall"u8))
            {
                wall = BinaryPrimitives.ReadInt64LittleEndian(document[position..]);
            }

            position += ValueLength(type, document[position..]);
        }

        if (ts is null)
        {
            throw new FormatException("The oplog entry has no ts.");
        }

        return (ts.Value, wall ?? ts.Value.Seconds * 1000L);
    }

    /// <summary>
    /// Whether the entry is a no-op (<c>op: "n"</c>): the periodic no-op a replica set writes every 10 s, a new primary's,
    /// a migration's. None carries data (applyOps skips them), so none is worth an upload of its own.
    /// </summary>
    public static bool IsNoop(ReadOnlySpan<byte> document)
    {
        var position = 4;
        var end = BinaryPrimitives.ReadInt32LittleEndian(document) - 1;
        while (position < end)
        {
            var type = document[position++];
            var nameLength = document[position..].IndexOf((byte)0);
            var name = document.Slice(position, nameLength);
            position += nameLength + 1;
            if (name.SequenceEqual("op"u8))
            {
                // A string: its length (with the terminating zero), then "n\0".
                return type == 0x02 && BinaryPrimitives.ReadInt32LittleEndian(document[position..]) == 2 && document[position + 4] == (byte)'n';
            }

            position += ValueLength(type, document[position..]);
        }

        return false;
    }

    public static OplogTimestamp ToStorage(BsonTimestamp ts)
    {
        ArgumentNullException.ThrowIfNull(ts);
        return OplogTimestamp.FromValue((ulong)ts.Value);
    }

    public static BsonTimestamp ToBson(OplogTimestamp ts) => new((long)ts.Value);

    private static int ValueLength(byte type, ReadOnlySpan<byte> value) =>
        TryValueLength(type, value, out var length) ? length : throw new FormatException($"Unknown BSON type 0x{type:X2} in an oplog entry.");

    /// <summary>The length of a BSON element's value from its type byte and the bytes after its name; false for a
    /// type this reader does not know.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryValueLength(byte type, ReadOnlySpan<byte> value, out int length)
    {
        // The types every oplog entry is made of are sized inline: this runs for each element of millions of
        // entries, and a call per element (with the caller's locals spilled around it) cost more than the rest
        // of the replay's fast path.
        length = type switch
        {
            0x01 or 0x09 or 0x11 or 0x12 => 8,
            0x02 => 4 + BinaryPrimitives.ReadInt32LittleEndian(value),
            0x03 or 0x04 => BinaryPrimitives.ReadInt32LittleEndian(value),
            0x05 => 5 + BinaryPrimitives.ReadInt32LittleEndian(value),
            0x08 => 1,
            0x10 => 4,
            _ => RareValueLength(type, value),
        };
        return length >= 0;
    }

    private static int RareValueLength(byte type, ReadOnlySpan<byte> value) => type switch
    {
        0x0D or 0x0E => 4 + BinaryPrimitives.ReadInt32LittleEndian(value),
        0x0F => BinaryPrimitives.ReadInt32LittleEndian(value),
        0x07 => 12,
        0x0A or 0x06 or 0xFF or 0x7F => 0,
        0x13 => 16,
        0x0B => SkipCString(value) is var first ? first + SkipCString(value[first..]) : 0,
        0x0C => 4 + BinaryPrimitives.ReadInt32LittleEndian(value) + 12,
        _ => -1,
    };

    private static int SkipCString(ReadOnlySpan<byte> value) => value.IndexOf((byte)0) + 1;
}
