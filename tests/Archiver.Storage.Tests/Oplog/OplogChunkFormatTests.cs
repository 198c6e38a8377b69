using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;
using CsCheck;
using ZstdSharp;

namespace Archiver.Storage.Tests.Oplog;

public sealed class OplogChunkFormatTests
{
    private static readonly Gen<List<OplogEntry>> GenEntries =
        Gen.Select(Gen.UInt[1, 1_000_000], Gen.Int[1, 300], Gen.Int[1, 5], Gen.Int)
            .Select(t => SampleOplog.Entries(t.Item1, t.Item2, t.Item3, t.Item4));

    [Fact]
    public void Every_entry_comes_back_unchanged_with_its_ts_and_wall()
    {
        // CsCheck samples on several threads; zstd contexts are not thread-safe, so each sample has its own.
        GenEntries.Sample(entries =>
        {
            using var compressor = new Compressor(3);
            using var decompressor = new Decompressor();
            var bytes = OplogChunkFormat.Encode("rs0-0", 2, new OplogTimestamp(1, 0), entries, ChunkCodec.Zstd, compressor);
            var chunk = OplogChunkFormat.Decode("k", bytes.ToArray(), decompressor);

            Assert.Equal(entries.Select(e => e.Ts), chunk.Entries.Select(e => e.Ts));
            Assert.Equal(entries.Select(e => e.WallUnixMs), chunk.Entries.Select(e => e.WallUnixMs));
            Assert.True(entries.Zip(chunk.Entries).All(p => p.First.Document.Span.SequenceEqual(p.Second.Document.Span)));
        }, iter: 50);
    }

    [Fact]
    public void The_header_describes_the_chunk_without_reading_its_payload()
    {
        var entries = SampleOplog.Entries(1000, 10);
        var bytes = OplogChunkFormat.Encode("mongo-sh-0", 7, new OplogTimestamp(999, 4), entries, ChunkCodec.Zstd, new Compressor(3));

        var header = OplogChunkFormat.ReadHeader("k", bytes);

        Assert.Equal(
            (OplogChunkFormat.Version, ChunkCodec.Zstd, "mongo-sh-0", 7u, 10),
            (header.FormatVersion, header.Codec, header.Component, header.Timeline, header.EntryCount));
        Assert.Equal((entries[0].Ts, entries[^1].Ts, new OplogTimestamp(999, 4)), (header.First, header.Last, header.Previous));
        Assert.Equal((entries[0].WallUnixMs, entries[^1].WallUnixMs), (header.FirstWallUnixMs, header.LastWallUnixMs));
    }

    [Fact]
    public void Any_flipped_bit_is_reported_as_corruption_naming_the_object()
    {
        var original = OplogChunkFormat.Encode("rs0", 1, OplogTimestamp.Zero, SampleOplog.Entries(5, 40), ChunkCodec.Zstd, new Compressor(3)).ToArray();
        Gen.Int[0, (original.Length * 8) - 1].Sample(bit =>
        {
            using var decompressor = new Decompressor();
            var damaged = (byte[])original.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));

            var error = Assert.Throws<CorruptObjectException>(() => OplogChunkFormat.Decode("db/x/oplog/rs0/c1", damaged, decompressor));
            Assert.Equal("db/x/oplog/rs0/c1", error.Key);
            Assert.Contains("db/x/oplog/rs0/c1", error.Message, StringComparison.Ordinal);
        }, iter: 300);
    }

    [Fact]
    public void A_truncated_chunk_is_corrupt()
    {
        var bytes = OplogChunkFormat.Encode("rs0", 1, OplogTimestamp.Zero, SampleOplog.Entries(5, 40), ChunkCodec.Zstd, new Compressor(3)).ToArray();

        Assert.Throws<CorruptObjectException>(() => OplogChunkFormat.Decode("k", bytes[..^1], new Decompressor()));
        Assert.Throws<CorruptObjectException>(() => OplogChunkFormat.Decode("k", bytes[..20], new Decompressor()));
    }

    [Fact]
    public void An_uncompressed_chunk_round_trips_too()
    {
        var entries = SampleOplog.Entries(5, 3);
        var bytes = OplogChunkFormat.Encode("rs0", 1, OplogTimestamp.Zero, entries, ChunkCodec.None, null).ToArray();

        Assert.Equal(entries.Select(e => e.Ts), OplogChunkFormat.Decode("k", bytes, null).Entries.Select(e => e.Ts));
    }

    [Fact]
    public void Entries_out_of_ts_order_are_refused_at_write_time()
    {
        var entries = SampleOplog.Entries(5, 3);
        entries.Reverse();

        Assert.Throws<ArgumentException>(() => OplogChunkFormat.Encode("rs0", 1, OplogTimestamp.Zero, entries, ChunkCodec.Zstd, new Compressor(3)));
    }

    [Fact]
    public void Walls_that_jump_back_or_far_ahead_and_ts_far_apart_survive_the_index()
    {
        Gen.Select(Gen.UInt[1, 3_000_000_000], Gen.Long[0, 4_000_000_000_000]).Array[1, 50].Sample(points =>
        {
            var ordered = points.DistinctBy(p => p.Item1).OrderBy(p => p.Item1).ToList();
            var random = new Random(ordered.Count);
            var entries = ordered.Select((p, i) => new OplogEntry(new OplogTimestamp(p.Item1, (uint)i), p.Item2, SampleOplog.Document(random, i))).ToList();

            using var compressor = new Compressor(1);
            var bytes = OplogChunkFormat.Encode("rs0", 1, OplogTimestamp.Zero, entries, ChunkCodec.Zstd, compressor).ToArray();
            var decoded = OplogChunkFormat.Decode("k", bytes, new Decompressor()).Entries;

            Assert.Equal(entries.Select(e => (e.Ts, e.WallUnixMs)), decoded.Select(e => (e.Ts, e.WallUnixMs)));
        });
    }

    [Fact]
    public void A_document_whose_bson_length_prefix_is_wrong_is_refused_at_write_time()
    {
        var document = new byte[20];
        document[0] = 19;

        Assert.Throws<ArgumentException>(() => new ChunkContentBuilder().Append(new OplogEntry(new OplogTimestamp(1, 1), 1, document)));
    }
}
