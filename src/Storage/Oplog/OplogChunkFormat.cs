using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Encodes and decodes chunk objects: a fixed header, the component name, a SHA-256 over header and payload,
/// then the payload (the content, compressed). The content is one record per entry: <c>ts</c> (u64), <c>wall</c>
/// (i64 ms), length (u32), then the BSON document exactly as read. Little-endian throughout.
/// </summary>
public static class OplogChunkFormat
{
    public const ushort Version = 1;
    public const int FixedHeaderLength = 74;
    public const int ChecksumLength = 32;
    public const int RecordOverhead = 20;
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
        Compressor? compressor)
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
        var output = new byte[headerLength + ChecksumLength + bound];
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
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(output.AsSpan(headerLength + ChecksumLength, payloadLength));
        sha.GetHashAndReset(output.AsSpan(headerLength, ChecksumLength));
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

        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[72..]);
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
            bytes.Slice(FixedHeaderLength + nameLength, ChecksumLength).ToArray());
    }

    /// <summary>Decodes and verifies a whole chunk; any mismatch is a <see cref="CorruptObjectException"/> naming it.</summary>
    public static OplogChunk Decode(string key, byte[] bytes, Decompressor? decompressor)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var header = ReadHeader(key, bytes);
        var headerLength = FixedHeaderLength + Encoding.UTF8.GetByteCount(header.Component);
        var payloadStart = headerLength + ChecksumLength;
        if (header.PayloadLength != bytes.Length - payloadStart || header.ContentLength is < 0 or > int.MaxValue)
        {
            throw new CorruptObjectException(key, $"the header says {header.PayloadLength} payload bytes but the object holds {bytes.Length - payloadStart}");
        }

        Span<byte> actual = stackalloc byte[ChecksumLength];
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(bytes, 0, headerLength);
            sha.AppendData(bytes, payloadStart, bytes.Length - payloadStart);
            sha.GetHashAndReset(actual);
        }

        if (!actual.SequenceEqual(header.Checksum.Span))
        {
            throw new CorruptObjectException(key, "its SHA-256 checksum does not match its content");
        }

        var content = Decompress(key, header, bytes.AsSpan(payloadStart), decompressor);
        return new OplogChunk(key, header, ReadEntries(key, header, content));
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
        BinaryPrimitives.WriteInt64LittleEndian(header[64..], payloadLength);
        BinaryPrimitives.WriteUInt16LittleEndian(header[72..], checked((ushort)name.Length));
        name.CopyTo(header[FixedHeaderLength..]);
    }

    private static byte[] Decompress(string key, ChunkHeader header, ReadOnlySpan<byte> payload, Decompressor? decompressor)
    {
        var content = new byte[header.ContentLength];
        switch (header.Codec)
        {
            case ChunkCodec.None when payload.Length == content.Length:
                payload.CopyTo(content);
                return content;
            case ChunkCodec.Zstd:
                ArgumentNullException.ThrowIfNull(decompressor);
                try
                {
                    var written = decompressor.Unwrap(payload, content);
                    return written == content.Length
                        ? content
                        : throw new CorruptObjectException(key, $"decompressed to {written} bytes, expected {content.Length}");
                }
                catch (ZstdException e)
                {
                    throw new CorruptObjectException(key, "its zstd payload does not decompress", e);
                }

            default:
                throw new CorruptObjectException(key, $"unknown codec {(byte)header.Codec} or a payload of the wrong size");
        }
    }

    private static OplogEntry[] ReadEntries(string key, ChunkHeader header, byte[] content)
    {
        if (header.EntryCount <= 0)
        {
            throw new CorruptObjectException(key, "it holds no entries");
        }

        var entries = new OplogEntry[header.EntryCount];
        var offset = 0;
        var previous = header.Previous;
        for (var i = 0; i < entries.Length; i++)
        {
            if (content.Length - offset < RecordOverhead)
            {
                throw new CorruptObjectException(key, $"the content ends inside entry {i}");
            }

            var span = content.AsSpan(offset);
            var ts = OplogTimestamp.FromValue(BinaryPrimitives.ReadUInt64LittleEndian(span));
            var length = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
            if (length < 0 || length > content.Length - offset - RecordOverhead || ts <= previous)
            {
                throw new CorruptObjectException(key, $"entry {i} has a bad length or is out of ts order");
            }

            entries[i] = new OplogEntry(ts, BinaryPrimitives.ReadInt64LittleEndian(span[8..]), content.AsMemory(offset + RecordOverhead, length));
            previous = ts;
            offset += RecordOverhead + length;
        }

        if (offset != content.Length || entries[0].Ts != header.First || entries[^1].Ts != header.Last)
        {
            throw new CorruptObjectException(key, "its entries do not match the range in its header");
        }

        return entries;
    }
}
