using System.Text;
using Archiver.Emulators.MongoDb.Durability;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>The data directory's records carry CRC-32C (Castagnoli), the checksum WiredTiger keeps on its log records and blocks.</summary>
public sealed class Crc32CTests
{
    [Fact]
    public void It_gives_the_check_values_of_the_Castagnoli_polynomial()
    {
        // The "check" value of CRC-32C over the nine digits (RFC 3720 appendix B.4 lists CRCs of the same polynomial).
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x00000000u, Crc32C.Compute([]));
    }

    [Fact]
    public void Appending_piece_by_piece_gives_the_checksum_of_the_whole()
    {
        var data = Encoding.ASCII.GetBytes("a record header, then its BSON document");
        var running = Crc32C.Append(uint.MaxValue, data.AsSpan(0, 3));
        running = Crc32C.Append(running, data.AsSpan(3));

        Assert.Equal(Crc32C.Compute(data), ~running);
    }
}
