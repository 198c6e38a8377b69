using System.Buffers.Binary;
using System.Numerics;

namespace Archiver.Storage;

/// <summary>
/// CRC-32C (Castagnoli), the checksum S3, GCS and iSCSI use against storage and transfer damage, computed
/// with the CPU's CRC instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>: about 5x cheaper than
/// SHA-256 on the read path. Authenticity is not its job: that is what the AES-GCM tags are for.
/// </summary>
public static class Crc32C
{
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return ~state;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);
}
