using System.Security.Cryptography;
using System.Text;

namespace Archiver.Storage.Encryption;

/// <summary>
/// The AES-256 key for encryption at rest (the caller reads it from the BackupStorage's Secret). The key's
/// fingerprint goes into every object header, so a wrong key is told apart from damaged data.
/// </summary>
public sealed record EncryptionSettings
{
    public EncryptionSettings(ReadOnlySpan<byte> key, int segmentSize = 64 * 1024)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException($"An AES-256 key is 32 bytes, not {key.Length}.", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(segmentSize, 1024);
        Key = key.ToArray();
        SegmentSize = segmentSize;
        Fingerprint = HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes("archiver key fingerprint v1"))[..8];
    }

    public byte[] Key { get; }

    /// <summary>Plaintext bytes per sealed segment: objects stream through in segments, never whole.</summary>
    public int SegmentSize { get; }

    public byte[] Fingerprint { get; }
}
