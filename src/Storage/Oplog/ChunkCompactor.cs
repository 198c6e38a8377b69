using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Merges many small chunks (cut every second for a low RPO) into few large ones, so listings and the catalog
/// stay small over a long history. Safe by construction: the merged chunk is published before any original is
/// deleted, and until they are, the catalog and replays treat the originals as the duplicates they are. A merge
/// never crosses a gap, and carries the same proof of continuity as the chunks it replaces.
/// Run it from the component's single owner, on chunks older than any restore in progress may be reading.
/// </summary>
public static class ChunkCompactor
{
    public static async Task<CompactionResult> CompactAsync(
        IObjectStore store,
        RepositoryLayout layout,
        ComponentHistory history,
        OplogTimestamp until,
        int targetContentBytes = 64 * 1024 * 1024,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(history);
        var written = new List<ChunkDescriptor>();
        var deleted = new List<string>();
        using var reader = new OplogChunkReader(store, reuseBuffers: true);
        using var compressor = new Compressor(3);
        var content = new ChunkContentBuilder();
        foreach (var run in history.Runs)
        {
            var group = new List<ChunkRange>();
            var previous = OplogTimestamp.Zero;
            for (var i = run.ChainStart; i < run.ChainEnd; i++)
            {
                var range = history.ChainChunk(i);
                if (range.Last > until)
                {
                    break;
                }

                if (group.Count == 0)
                {
                    previous = range.Previous;
                }

                group.Add(range);
                var chunk = await reader.ReadAsync(layout.ChunkKey(history.Component, history.Timeline, range), cancellationToken);
                foreach (var entry in chunk.Entries)
                {
                    // Overlapping originals hold some entries twice: keep each ts once.
                    if (content.Count == 0 ? entry.Ts > previous || previous.IsZero : entry.Ts > content.Last)
                    {
                        content.Append(entry);
                    }
                }

                if (content.Length >= targetContentBytes)
                {
                    previous = await FlushAsync(store, layout, history, previous, content, group, compressor, written, cancellationToken);
                    group.Clear();
                }
            }

            await FlushAsync(store, layout, history, previous, content, group, compressor, written, cancellationToken);
        }

        // Only now that every merged chunk is published: remove every chunk (chained or duplicate) inside one.
        foreach (var range in history.AllChunks().ToArray())
        {
            var key = layout.ChunkKey(history.Component, history.Timeline, range);
            if (!written.Any(w => w.Key == key) && written.Any(w => w.Range.First <= range.First && range.Last <= w.Range.Last))
            {
                await store.DeleteAsync(key, cancellationToken);
                deleted.Add(key);
            }
        }

        return new CompactionResult(written, deleted);
    }

    private static async Task<OplogTimestamp> FlushAsync(
        IObjectStore store,
        RepositoryLayout layout,
        ComponentHistory history,
        OplogTimestamp previous,
        ChunkContentBuilder content,
        List<ChunkRange> group,
        Compressor compressor,
        List<ChunkDescriptor> written,
        CancellationToken cancellationToken)
    {
        // A single chunk is already as merged as it gets.
        if (group.Count < 2 || content.Count == 0)
        {
            var last = content.Count > 0 ? content.Last : previous;
            content.Clear();
            return last;
        }

        var bytes = OplogChunkFormat.Encode(history.Component, history.Timeline, previous, content, ChunkCodec.Zstd, compressor);
        var range = new ChunkRange(content.First, content.Last, previous, content.FirstWallUnixMs, content.LastWallUnixMs, content.Count, bytes.Count);
        var key = layout.ChunkKey(history.Component, history.Timeline, range);
        using (var stream = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false))
        {
            await store.PutAsync(key, stream, cancellationToken);
        }

        written.Add(new ChunkDescriptor(key, history.Component, history.Timeline, range));
        var newest = content.Last;
        content.Clear();
        return newest;
    }
}
