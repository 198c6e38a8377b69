using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using CsCheck;

namespace Archiver.Storage.Tests.Oplog;

public sealed class ChunkNameTests
{
    private static readonly Gen<ChunkRange> GenRange =
        Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt[0, 1000], Gen.Long[0, long.MaxValue / 4], Gen.Int[1, 100_000])
            .Where(t => t.Item1 > 0)
            .Select(t =>
            {
                var first = new OplogTimestamp(t.Item1, t.Item2);
                var last = new OplogTimestamp(t.Item1 + t.Item3 > t.Item1 ? t.Item1 + t.Item3 : t.Item1, t.Item2);
                var previous = new OplogTimestamp(t.Item1 - 1, 7);
                return new ChunkRange(first, last, previous, t.Item4, t.Item4 + t.Item3, t.Item5, 123);
            });

    [Fact]
    public void A_name_parses_back_to_the_range_it_was_made_from()
    {
        GenRange.Sample(range =>
        {
            Assert.True(ChunkName.TryParse(ChunkName.Format(range), 123, out var parsed));
            Assert.Equal(range, parsed);
        });
    }

    [Fact]
    public void Names_sort_in_the_order_of_their_first_ts()
    {
        Gen.Select(GenRange, GenRange).Sample(pair =>
        {
            var (a, b) = pair;
            Assert.Equal(
                Math.Sign(a.First.CompareTo(b.First)),
                Math.Sign(string.CompareOrdinal(ChunkName.Format(a)[..21], ChunkName.Format(b)[..21])));
        });
    }

    [Theory]
    [InlineData("0000000010.0000000001-0000000009.0000000001_p0000000000.0000000000_w1-2_n1.oplog")]
    [InlineData("0000000010.0000000001-0000000011.0000000001_p0000000010.0000000001_w1-2_n1.oplog")]
    [InlineData("0000000010.0000000001-0000000011.0000000001_p0000000000.0000000000_w1-2_n1.zst")]
    [InlineData("garbage.oplog")]
    public void Malformed_or_impossible_names_are_not_taken_for_chunks(string name)
    {
        Assert.False(ChunkName.TryParse(name, 1, out _));
    }
}
