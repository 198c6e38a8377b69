using System.Buffers.Binary;
using System.Text;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Encodes and decodes chunk objects: a fixed header, the component name, a CRC-32C over header and payload,
/// then the payload (the content, compressed). The content is the BSON documents exactly as read, back to back
/// (the writer checks each one's BSON length prefix, without parsing the document), then the
/// <see cref="ChunkIndex"/> of every entry's <c>ts</c>, <c>wall</c> and length. Little-endian throughout; the
/// byte layout is in docs/storage.md.
/// </summary>
public static class OplogChunkFormat
{
    public const ushort Version = 1;
    public const int FixedHeaderLength = 82;
    public const int ChecksumLength = 4;
    private const int MinimumBsonLength = 5;
    private const uint Magic = 0x4C504F41; // "AOPL" read as little-endian

    /// <summary>Encodes entries (already in <c>ts</c> order) into a whole chunk object.</summary>
    public static ArraySegment<byte> Encode(
        string component,
        uint timeline,
        OplogTimestamp previous,
        IReadOnlyList<OplogEntry> entries,
        ChunkCodec codec,
        Compressor? compressor)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var builder = new ChunkContentBuilder();
        foreach (var entry in entries)
        {
            builder.Append(entry);
        }

        return Encode(component, timeline, previous, builder, codec, compressor);
    }

    /// <summary>Encodes the content gathered in <paramref name="content"/> into a whole chunk object.</summary>
    public static ArraySegment<byte> Encode(
        string component,
        uint timeline,
        OplogTimestamp previous,
        ChunkContentBuilder content,
        ChunkCodec codec,
        Compressor? compressor) =>
        Encode(component, timeline, previous, content, codec, compressor, null);

    /// <summary>Encodes into <paramref name="buffers"/> when given: the result is valid until their next use.</summary>
    public static ArraySegment<byte> Encode(
        string component,
        uint timeline,
        OplogTimestamp previous,
        ChunkContentBuilder content,
        ChunkCodec codec,
        Compressor? compressor,
        ChunkBuffers? buffers)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfZero(content.Count);
        if (!previous.IsZero && previous >= content.First)
        {
            throw new ArgumentException($"The previous ts {previous} is not before the first entry's {content.First}.", nameof(previous));
        }

        var name = Encoding.UTF8.GetBytes(component);
        var headerLength = FixedHeaderLength + name.Length;
        var bound = codec == ChunkCodec.Zstd ? Compressor.GetCompressBound(content.Length) : content.Length;
        var output = buffers?.Output(headerLength + ChecksumLength + bound) ?? new byte[headerLength + ChecksumLength + bound];
        var payloadSpan = output.AsSpan(headerLength + ChecksumLength);
        int payloadLength;
        if (codec == ChunkCodec.Zstd)
        {
            ArgumentNullException.ThrowIfNull(compressor);
            payloadLength = compressor.Wrap(content.Content, payloadSpan);
        }
        else
        {
            content.Content.CopyTo(payloadSpan);
            payloadLength = content.Length;
        }

        var header = output.AsSpan(0, headerLength);
        WriteHeader(header, codec, timeline, content, previous, payloadLength, name);
        var crc = Crc32C.Append(Crc32C.Compute(header), output.AsSpan(headerLength + ChecksumLength, payloadLength));
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(headerLength), crc);
        return new ArraySegment<byte>(output, 0, headerLength + ChecksumLength + payloadLength);
    }

    /// <summary>Reads only the header (for catalog repairs and tools); verifies its shape, not the checksum.</summary>
    public static ChunkHeader ReadHeader(string key, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < FixedHeaderLength + ChecksumLength || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new CorruptObjectException(key, "it does not start with an oplog chunk header");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != Version)
        {
            throw new CorruptObjectException(key, $"unknown chunk format version {version}");
        }

        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[80..]);
        if (bytes.Length < FixedHeaderLength + nameLength + ChecksumLength)
        {
            throw new CorruptObjectException(key, "the header is truncated");
        }

        return new ChunkHeader(
            version,
            (ChunkCodec)bytes[6],
            Encoding.UTF8.GetString(bytes.Slice(FixedHeaderLength, nameLength)),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]),
            OplogTimestamp.FromValue(BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..])),
            OplogTimestamp.FromValue(BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..])),
            OplogTimestamp.FromValue(BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..])),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[48..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[56..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[64..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[72..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[(FixedHeaderLength + nameLength)..]));
    }

    /// <summary>Decodes and verifies a whole chunk; any mismatch is a <see cref="CorruptObjectException"/> naming it.</summary>
    public static OplogChunk Decode(string key, byte[] bytes, Decompressor? decompressor) =>
        Decode(key, bytes, decompressor, null);

    /// <summary>
    /// Decodes into <paramref name="buffers"/> when given: the chunk's entries then live there and are valid only
    /// until the buffers are used again. Without, each chunk gets memory of its own.
    /// </summary>
    public static OplogChunk Decode(string key, ReadOnlySpan<byte> bytes, Decompressor? decompressor, ChunkBuffers? buffers)
    {
        var header = ReadHeader(key, bytes);
        var headerLength = FixedHeaderLength + Encoding.UTF8.GetByteCount(header.Component);
        var payloadStart = headerLength + ChecksumLength;
        if (header.PayloadLength != bytes.Length - payloadStart || header.ContentLength is < 0 or > int.MaxValue)
        {
            throw new CorruptObjectException(key, $"the header says {header.PayloadLength} payload bytes but the object holds {bytes.Length - payloadStart}");
        }

        if (Crc32C.Append(Crc32C.Compute(bytes[..headerLength]), bytes[payloadStart..]) != header.Checksum)
        {
            throw new CorruptObjectException(key, "its CRC-32C checksum does not match its content");
        }

        if (header.EntryCount <= 0 || header.EntryCount > header.ContentLength / MinimumBsonLength
            || header.DocumentsLength is < 0 || header.DocumentsLength > header.ContentLength)
        {
            throw new CorruptObjectException(key, $"its header claims {header.EntryCount} entries in {header.ContentLength} bytes");
        }

        var content = buffers?.Content(header.ContentLength) ?? new byte[header.ContentLength];
        var entries = buffers?.Entries(header.EntryCount) ?? new OplogEntry[header.EntryCount];
        Decompress(key, header, bytes[payloadStart..], decompressor, content.AsSpan(0, (int)header.ContentLength));
        ReadEntries(key, header, content, (int)header.ContentLength, entries);
        return new OplogChunk(key, header, new ArraySegment<OplogEntry>(entries, 0, header.EntryCount));
    }

    private static void WriteHeader(
        Span<byte> header,
        ChunkCodec codec,
        uint timeline,
        ChunkContentBuilder content,
        OplogTimestamp previous,
        long payloadLength,
        byte[] name)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], Version);
        header[6] = (byte)codec;
        header[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], timeline);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], content.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], content.First.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], content.Last.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], previous.Value);
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], content.FirstWallUnixMs);
        BinaryPrimitives.WriteInt64LittleEndian(header[48..], content.LastWallUnixMs);
        BinaryPrimitives.WriteInt64LittleEndian(header[56..], (long)content.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[64..], content.DocumentsLength);
        BinaryPrimitives.WriteInt64LittleEndian(header[72..], payloadLength);
        BinaryPrimitives.WriteUInt16LittleEndian(header[80..], checked((ushort)name.Length));
        name.CopyTo(header[FixedHeaderLength..]);
    }

    private static void Decompress(string key, ChunkHeader header, ReadOnlySpan<byte> payload, Decompressor? decompressor, Span<byte> content)
    {
        switch (header.Codec)
        {
            case ChunkCodec.None when payload.Length == content.Length:
                payload.CopyTo(content);
                return;
            case ChunkCodec.Zstd:
                ArgumentNullException.ThrowIfNull(decompressor);
                int written;
                try
                {
                    written = decompressor.Unwrap(payload, content);
                }
                catch (ZstdException e)
                {
                    throw new CorruptObjectException(key, "its zstd payload does not decompress", e);
                }

                if (written != content.Length)
                {
                    throw new CorruptObjectException(key, $"decompressed to {written} bytes, expected {content.Length}");
                }

                return;
            default:
                throw new CorruptObjectException(key, $"unknown codec {(byte)header.Codec} or a payload of the wrong size");
        }
    }

    private static void ReadEntries(string key, ChunkHeader header, byte[] content, int contentLength, OplogEntry[] entries)
    {
        var documentsLength = (int)header.DocumentsLength;
        var index = content.AsSpan(documentsLength, contentLength - documentsLength);
        var indexOffset = 0;
        var offset = 0;
        var ts = default(OplogTimestamp);
        var wall = 0L;
        var previous = header.Previous.Value;
        var count = header.EntryCount;
        var target = entries.AsSpan(0, count);
        for (var i = 0; i < target.Length; i++)
        {
            if (!ChunkIndex.TryRead(index, ref indexOffset, ref ts, ref wall, out var length))
            {
                throw new CorruptObjectException(key, $"the index ends inside entry {i}");
            }

            // The documents are not touched here: the CRC vouches for them and the writer checked each one's
            // BSON length prefix against this length.
            if (length < MinimumBsonLength || length > documentsLength - offset || ts.Value <= previous)
            {
                throw new CorruptObjectException(key, $"entry {i} has a bad length or is out of ts order");
            }

            target[i] = new OplogEntry(ts, wall, new ReadOnlyMemory<byte>(content, offset, length));
            previous = ts.Value;
            offset += length;
        }

        if (offset != documentsLength || indexOffset != index.Length || target[0].Ts != header.First || target[^1].Ts != header.Last)
        {
            throw new CorruptObjectException(key, "its entries do not match the range in its header");
        }
    }
}
