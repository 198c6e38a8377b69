using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Oplog;

/// <summary>
/// The reader's buffers come from the shared array pools and go back there: whatever an earlier chunk (or another
/// reader) left in them must never show through, and an object whose length the backend does not tell (an HTTP
/// body) is still read whole.
/// </summary>
public sealed class OplogChunkReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    public OplogChunkReaderTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_small_chunk_read_into_buffers_that_held_a_large_one_is_exact()
    {
        // Uncompressed, so the large chunk's download alone is several MiB.
        var large = SampleOplog.Entries(100, 40_000, perSecond: 1000, seed: 1);
        var small = SampleOplog.Entries(200, 30, seed: 2);
        var largeKey = await PublishAsync(large, ChunkCodec.None, OplogTimestamp.Zero);
        var smallKey = await PublishAsync(small, ChunkCodec.Zstd, large[^1].Ts);

        using (var reader = new OplogChunkReader(_store, reuseBuffers: true))
        {
            AssertSame(large, await reader.ReadAsync(largeKey));
            AssertSame(small, await reader.ReadAsync(smallKey));
        }

        // A second reader rents what the first gave back.
        using (var reader = new OplogChunkReader(_store, reuseBuffers: true))
        {
            AssertSame(small, await reader.ReadAsync(smallKey));
            AssertSame(large, await reader.ReadAsync(largeKey));
        }
    }

    [Fact]
    public async Task An_object_of_unknown_length_is_read_whole()
    {
        var entries = SampleOplog.Entries(100, 50_000, perSecond: 1000, seed: 3);
        var key = await PublishAsync(entries, ChunkCodec.None, OplogTimestamp.Zero);
        using var reader = new OplogChunkReader(new UnknownLengthStore(_store), reuseBuffers: true);

        AssertSame(entries, await reader.ReadAsync(key));
    }

    [Fact]
    public async Task Without_reuse_a_chunk_stays_valid_after_its_reader_is_gone()
    {
        var first = SampleOplog.Entries(100, 2_000, seed: 4);
        var second = SampleOplog.Entries(300, 2_000, seed: 5);
        var firstKey = await PublishAsync(first, ChunkCodec.Zstd, OplogTimestamp.Zero);
        var secondKey = await PublishAsync(second, ChunkCodec.Zstd, first[^1].Ts);
        OplogChunk kept;
        using (var reader = new OplogChunkReader(_store))
        {
            kept = await reader.ReadAsync(firstKey);
        }

        // Another reader reusing pooled memory must not overwrite what the first handed out.
        using (var reusing = new OplogChunkReader(_store, reuseBuffers: true))
        {
            await reusing.ReadAsync(secondKey);
            await reusing.ReadAsync(firstKey);
        }

        AssertSame(first, kept);
    }

    private async Task<string> PublishAsync(List<OplogEntry> entries, ChunkCodec codec, OplogTimestamp previous)
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0-0", 1, previous, new ChunkWriterOptions { Codec = codec });
        foreach (var entry in entries)
        {
            writer.Append(entry);
        }

        return (await writer.PublishAsync())!.Key;
    }

    private static void AssertSame(List<OplogEntry> expected, OplogChunk chunk)
    {
        Assert.Equal(expected.Count, chunk.Entries.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Ts, chunk.Entries[i].Ts);
            Assert.Equal(expected[i].WallUnixMs, chunk.Entries[i].WallUnixMs);
            Assert.True(expected[i].Document.Span.SequenceEqual(chunk.Entries[i].Document.Span), $"entry {i} differs");
        }
    }

    /// <summary>Serves objects as a non-seekable stream, as an HTTP body whose length the reader is not told.</summary>
    private sealed class UnknownLengthStore(IObjectStore inner) : IObjectStore
    {
        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
            inner.PutAsync(key, content, cancellationToken);

        public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
            inner.PutIfAbsentAsync(key, content, cancellationToken);

        public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default) =>
            new NonSeekableStream(await inner.GetAsync(key, cancellationToken));

        public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default) =>
            inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }
}
