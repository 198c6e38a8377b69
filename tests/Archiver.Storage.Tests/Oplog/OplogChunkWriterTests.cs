using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Oplog;

public sealed class OplogChunkWriterTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    public OplogChunkWriterTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Consecutive_chunks_prove_their_continuity_through_the_previous_ts()
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0-0", 1, OplogTimestamp.Zero);
        var entries = SampleOplog.Entries(100, 20);
        var published = new List<ChunkDescriptor>();
        foreach (var batch in entries.Chunk(7))
        {
            foreach (var entry in batch)
            {
                writer.Append(entry);
            }

            published.Add((await writer.PublishAsync())!);
        }

        Assert.Equal(3, published.Count);
        Assert.Equal(OplogTimestamp.Zero, published[0].Range.Previous);
        Assert.Equal(published[0].Range.Last, published[1].Range.Previous);
        Assert.Equal(published[1].Range.Last, published[2].Range.Previous);
        Assert.Equal(entries[^1].Ts, writer.LastArchived);
    }

    [Fact]
    public async Task A_listing_alone_tells_each_chunks_range()
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0-0", 1, new OplogTimestamp(99, 9));
        foreach (var entry in SampleOplog.Entries(100, 5))
        {
            writer.Append(entry);
        }

        var published = await writer.PublishAsync();
        var listed = (await _store.ListAsync(_layout.OplogPrefix("rs0-0", 1))).Objects.Single();

        Assert.True(ChunkName.TryParse(listed.Key.AsSpan(listed.Key.LastIndexOf('/') + 1), listed.Size, out var range));
        Assert.Equal(published!.Range, range);
        Assert.Equal(published.Key, listed.Key);
    }

    [Fact]
    public async Task Entries_already_archived_are_dropped_so_a_resumed_tail_is_harmless()
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0-0", 1, new OplogTimestamp(101, 2));
        var entries = SampleOplog.Entries(100, 9);

        var accepted = entries.Count(e => writer.Append(e));

        Assert.Equal(4, accepted);
        Assert.False(writer.Append(entries[^1]));
        Assert.Null(await new OplogChunkWriter(_store, _layout, "rs0-0", 1, OplogTimestamp.Zero).PublishAsync());
    }

    [Fact]
    public async Task A_publish_that_fails_keeps_its_entries_pending_and_a_retry_publishes_them_once()
    {
        var flaky = new FlakyStore(_store) { FailNextPuts = 1 };
        using var writer = new OplogChunkWriter(flaky, _layout, "rs0-0", 1, OplogTimestamp.Zero);
        var entries = SampleOplog.Entries(100, 8);
        foreach (var entry in entries[..5])
        {
            writer.Append(entry);
        }

        await Assert.ThrowsAsync<IOException>(() => writer.PublishAsync());
        Assert.Equal((5, OplogTimestamp.Zero), (writer.PendingEntries, writer.LastArchived));
        foreach (var entry in entries[5..])
        {
            writer.Append(entry);
        }

        var published = (await writer.PublishAsync())!;

        Assert.Equal((8, OplogTimestamp.Zero, entries[^1].Ts), (published.Range.EntryCount, published.Range.Previous, writer.LastArchived));
        Assert.Single((await _store.ListAsync(_layout.OplogRoot)).Objects);
    }

    [Fact]
    public async Task A_chunk_read_back_is_verified_against_its_name()
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0-0", 1, OplogTimestamp.Zero);
        foreach (var entry in SampleOplog.Entries(100, 5))
        {
            writer.Append(entry);
        }

        var published = (await writer.PublishAsync())!;
        var bytes = await _store.GetBytesAsync(published.Key);
        var misplaced = _layout.ChunkKey("rs0-1", 1, published.Range);
        await _store.PutBytesAsync(misplaced, bytes);
        using var reader = new OplogChunkReader(_store);

        Assert.Equal(5, (await reader.ReadAsync(published.Key)).Entries.Count);
        var error = await Assert.ThrowsAsync<CorruptObjectException>(() => reader.ReadAsync(misplaced));
        Assert.Equal(misplaced, error.Key);
    }

    [Fact]
    public async Task A_corrupted_chunk_stops_a_replay_with_its_name_instead_of_being_skipped()
    {
        var keys = await WriteChunksAsync(SampleOplog.Entries(100, 30), 10);
        var bytes = await _store.GetBytesAsync(keys[1]);
        bytes[^3] ^= 0x40;
        await _store.PutBytesAsync(keys[1], bytes);
        var replayed = new List<OplogEntry>();

        var error = await Assert.ThrowsAsync<CorruptObjectException>(async () =>
        {
            await foreach (var entry in OplogReplay.ReadAsync(_store, keys, OplogTimestamp.Zero, _ => false))
            {
                replayed.Add(entry);
            }
        });

        Assert.Equal(keys[1], error.Key);
        Assert.Equal(10, replayed.Count);
    }

    [Fact]
    public async Task Overlapping_chunks_written_after_a_crash_replay_each_entry_once()
    {
        var entries = SampleOplog.Entries(100, 30);
        var first = await WriteChunksAsync(entries[..20], 10);

        // The process died after publishing the second chunk but before recording it: it resumes from the first.
        using var resumed = new OplogChunkWriter(_store, _layout, "rs0-0", 1, entries[9].Ts);
        foreach (var entry in entries[10..])
        {
            resumed.Append(entry);
        }

        var overlap = (await resumed.PublishAsync())!.Key;
        var replayed = new List<OplogEntry>();
        await foreach (var entry in OplogReplay.ReadAsync(_store, [.. first, overlap], OplogTimestamp.Zero, _ => false))
        {
            replayed.Add(entry);
        }

        Assert.Equal(entries.Select(e => e.Ts), replayed.Select(e => e.Ts));
    }

    [Fact]
    public async Task A_replay_stops_before_the_first_entry_past_the_target_and_starts_after_the_base()
    {
        var entries = SampleOplog.Entries(100, 30);
        var keys = await WriteChunksAsync(entries, 10);
        var replayed = new List<OplogEntry>();

        await foreach (var entry in OplogReplay.ReadAsync(_store, keys, entries[4].Ts, e => e.Ts > entries[24].Ts))
        {
            replayed.Add(entry);
        }

        Assert.Equal(entries[5..25].Select(e => e.Ts), replayed.Select(e => e.Ts));
    }

    [Fact]
    public async Task A_replay_refuses_to_jump_a_gap_between_chunks()
    {
        var entries = SampleOplog.Entries(100, 30);
        var keys = await WriteChunksAsync(entries, 10);

        var error = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            await foreach (var unused in OplogReplay.ReadAsync(_store, [keys[0], keys[2]], OplogTimestamp.Zero, _ => false))
            {
            }
        });

        Assert.Contains("gap", error.Message, StringComparison.Ordinal);
    }

    private async Task<List<string>> WriteChunksAsync(List<OplogEntry> entries, int perChunk)
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0-0", 1, OplogTimestamp.Zero);
        var keys = new List<string>();
        foreach (var batch in entries.Chunk(perChunk))
        {
            foreach (var entry in batch)
            {
                writer.Append(entry);
            }

            keys.Add((await writer.PublishAsync())!.Key);
        }

        return keys;
    }
}
