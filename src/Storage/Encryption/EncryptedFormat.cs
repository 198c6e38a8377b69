using System.Buffers.Binary;
using System.Text;

namespace Archiver.Storage.Encryption;

/// <summary>
/// Layout of an encrypted object: a 28-byte header (magic "AENC", version, 3 reserved bytes, key fingerprint (8),
/// nonce prefix (8, random per object), segment size (u32)), then segments of up to segment-size ciphertext bytes
/// each followed by its 16-byte GCM tag. Segment i's nonce is the prefix followed by i (u32 big-endian); its
/// associated data binds the object key, the header, i and whether it is the last segment, so segments cannot
/// be reordered, truncated, or moved to another object.
/// </summary>
internal static class EncryptedFormat
{
    public const int HeaderLength = 28;
    public const int TagLength = 16;
    public const byte Version = 1;
    public static readonly byte[] Magic = "AENC"u8.ToArray();

    public static void WriteHeader(Span<byte> header, ReadOnlySpan<byte> fingerprint, ReadOnlySpan<byte> noncePrefix, int segmentSize)
    {
        Magic.CopyTo(header);
        header[4] = Version;
        header[5..8].Clear();
        fingerprint.CopyTo(header[8..16]);
        noncePrefix.CopyTo(header[16..24]);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], segmentSize);
    }

    public static void Nonce(Span<byte> nonce, ReadOnlySpan<byte> header, uint segment)
    {
        header[16..24].CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], segment);
    }

    public static byte[] AssociatedData(string key, ReadOnlySpan<byte> header, uint segment, bool last)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var data = new byte[keyBytes.Length + HeaderLength + 5];
        keyBytes.CopyTo(data, 0);
        header.CopyTo(data.AsSpan(keyBytes.Length));
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(keyBytes.Length + HeaderLength), segment);
        data[^1] = last ? (byte)1 : (byte)0;
        return data;
    }
}
