using System.Buffers.Binary;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// The framing of checkpoint and journal files: each record is <c>[uint32 length][uint32 CRC-32C][payload]</c> (little
/// endian), the payload a kind byte and one BSON document, the checksum over the payload, as a WiredTiger log record
/// carries its length and checksum in its header (wiredtiger <c>src/include/log.h</c>, <c>WT_LOG_RECORD</c>). Reading
/// tells a torn tail (the last record incomplete or failing its checksum: a write the copy or the crash cut) from
/// corruption (a bad record with whole records after it), which no recovery can get past.
/// </summary>
internal static class RecordFile
{
    public const int HeaderBytes = 8;

    /// <summary>One record as one buffer, so an unbuffered journal appends it with a single write.</summary>
    public static byte[] Frame(RecordKind kind, ReadOnlySpan<byte> bson)
    {
        var frame = new byte[HeaderBytes + 1 + bson.Length];
        frame[HeaderBytes] = (byte)kind;
        bson.CopyTo(frame.AsSpan(HeaderBytes + 1));
        var payload = frame.AsSpan(HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32C.Compute(payload));
        return frame;
    }

    /// <summary>Writes one record to a buffered stream (a checkpoint being written) without framing a copy first.</summary>
    public static void Write(Stream stream, RecordKind kind, ReadOnlySpan<byte> bson)
    {
        Span<byte> header = stackalloc byte[HeaderBytes + 1];
        header[HeaderBytes] = (byte)kind;
        var crc = Crc32C.Append(uint.MaxValue, header[HeaderBytes..]);
        crc = ~Crc32C.Append(crc, bson);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(1 + bson.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], crc);
        stream.Write(header);
        stream.Write(bson);
    }

    /// <summary>
    /// Reads every whole record of <paramref name="bytes"/>. A record that runs past the end, or the last record when it
    /// fails its checksum, ends the scan as a torn tail; a record that fails its checksum with more after it is
    /// corruption and throws, naming <paramref name="path"/>.
    /// </summary>
    public static RecordScan Read(string path, byte[] bytes)
    {
        var records = new List<Record>();
        var position = 0;
        while (position < bytes.Length)
        {
            var left = bytes.Length - position;
            if (left < HeaderBytes)
            {
                return new RecordScan(records, position, $"{left} bytes at offset {position} are too few for a record header");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 4));
            if (length == 0 || length > (uint)(left - HeaderBytes))
            {
                return new RecordScan(records, position, $"the record at offset {position} says it has {length} bytes, but {left - HeaderBytes} follow");
            }

            var payload = bytes.AsSpan(position + HeaderBytes, (int)length);
            var computed = Crc32C.Compute(payload);
            var end = position + HeaderBytes + (int)length;
            if (computed != stored)
            {
                if (end == bytes.Length)
                {
                    return new RecordScan(records, position, $"the last record, at offset {position}, fails its CRC-32C check (stored {stored:x8}, computed {computed:x8})");
                }

                throw new MongoDataDirectoryException(path, $"record {records.Count} at offset {position} fails its CRC-32C check (stored {stored:x8}, computed {computed:x8}) and records follow it: the file is corrupt");
            }

            var bson = payload[1..];
            if (bson.Length < 5 || BinaryPrimitives.ReadInt32LittleEndian(bson) != bson.Length)
            {
                throw new MongoDataDirectoryException(path, $"record {records.Count} at offset {position} holds no whole BSON document");
            }

            records.Add(new Record((RecordKind)payload[0], bytes, position + HeaderBytes + 1, bson.Length, records.Count, position));
            position = end;
        }

        return new RecordScan(records, position, null);
    }
}
