using System.Buffers.Binary;
using System.Numerics;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// CRC-32C (Castagnoli), the checksum WiredTiger keeps on its log records and blocks (wiredtiger
/// <c>src/checksum/</c>, <c>__wt_checksum</c>), computed with <see cref="BitOperations.Crc32C(uint, ulong)"/> (the SSE4.2/ARM
/// instruction where there is one): the reflected polynomial 0x82F63B78, started at all ones and inverted at the end.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>Continues a running (not yet inverted) CRC over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
