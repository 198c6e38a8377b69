using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Merges many small chunks (cut every second for a low RPO) into few large objects, so listings and the catalog
/// stay small over a long history. Safe by construction: a merge only publishes, it never deletes. The merged object
/// holds each entry of the chunks it replaces exactly once, in frames that continue each other, named for the whole
/// range with the first chunk's record of the entry before it: the same proof of continuity. Until the originals are
/// removed (<see cref="Superseded"/>, by <see cref="OplogCompaction"/> once no restore can be reading them), the
/// catalog and replays treat them as the duplicates they are. A merge never crosses a gap (it works inside one run
/// of one component on one timeline) and never touches a chunk newer than its limit.
/// </summary>
public static class ChunkCompactor
{
    /// <summary>Merges the small chunks of each run whose newest entry was written at or before <paramref name="untilWallUnixMs"/>.</summary>
    public static async Task<IReadOnlyList<ChunkDescriptor>> MergeAsync(
        IObjectStore store,
        RepositoryLayout layout,
        ComponentHistory history,
        long untilWallUnixMs,
        CompactionLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(history);
        limits ??= new CompactionLimits();
        var written = new List<ChunkDescriptor>();
        using var reader = new OplogChunkReader(store, reuseBuffers: true);
        using var compressor = new Compressor(3);
        var group = new List<ChunkRange>();
        var groupBytes = 0L;
        foreach (var run in history.Runs)
        {
            for (var i = run.ChainStart; i < run.ChainEnd; i++)
            {
                var range = history.ChainChunk(i);
                if (range.LastWallUnixMs > untilWallUnixMs)
                {
                    break;
                }

                // A chunk already large (merged before, or cut by size) stays as it is: merging only what is small
                // keeps each byte rewritten a bounded number of times however often compaction runs.
                if (range.SizeBytes >= limits.MergeBelowBytes || (group.Count > 0 && groupBytes + range.SizeBytes > limits.TargetObjectBytes))
                {
                    await FlushAsync();
                }

                if (range.SizeBytes < limits.MergeBelowBytes)
                {
                    group.Add(range);
                    groupBytes += range.SizeBytes;
                }
            }

            await FlushAsync();
        }

        return written;

        async Task FlushAsync()
        {
            if (group.Count >= 2)
            {
                written.Add(await WriteMergedAsync(store, layout, history, group, reader, compressor, limits.FrameContentBytes, cancellationToken));
            }

            group.Clear();
            groupBytes = 0;
        }
    }

    /// <summary>
    /// The chunks another chunk holds all of, strictly (a longer range, or the same first entry known from the same
    /// entry before it), each with the one holding it: a replay never needs them. Two chunks of the same range hold each
    /// other; neither is named, so removing what this returns can never remove both.
    /// </summary>
    public static IReadOnlyList<(ChunkRange Chunk, ChunkRange HeldBy)> Superseded(ComponentHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var superseded = new List<(ChunkRange, ChunkRange)>();
        var chunks = history.AllChunks();
        ChunkRange? widest = null;
        foreach (var chunk in chunks)
        {
            // Sorted by first entry, longest first: the widest chunk so far starts at or before this one.
            if (widest is { } w && w.Last >= chunk.Last && (w.Last > chunk.Last || w.First < chunk.First)
                && (w.First < chunk.First || chunk.Previous.IsZero || w.Previous == chunk.Previous))
            {
                superseded.Add((chunk, w));
            }

            if (widest is null || chunk.Last > widest.Value.Last)
            {
                widest = chunk;
            }
        }

        return superseded;
    }

    private static async Task<ChunkDescriptor> WriteMergedAsync(
        IObjectStore store,
        RepositoryLayout layout,
        ComponentHistory history,
        List<ChunkRange> group,
        OplogChunkReader reader,
        Compressor compressor,
        int frameContentBytes,
        CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        var content = new ChunkContentBuilder(Math.Min(frameContentBytes, 1 << 20));
        var previous = group[0].Previous;
        var framePrevious = previous;
        OplogTimestamp first = default, last = default;
        long firstWall = 0, lastWall = 0;
        var count = 0;
        foreach (var range in group)
        {
            await foreach (var chunk in reader.ReadFramesAsync(layout.ChunkKey(history.Component, history.Timeline, range), cancellationToken))
            {
                foreach (var entry in chunk.Entries)
                {
                    // Chained chunks may overlap (a crash re-wrote a range): keep each ts once.
                    if (count > 0 && entry.Ts <= last)
                    {
                        continue;
                    }

                    if (count == 0)
                    {
                        first = entry.Ts;
                        firstWall = entry.WallUnixMs;
                    }

                    content.Append(entry);
                    count++;
                    last = entry.Ts;
                    lastWall = entry.WallUnixMs;
                    if (content.Length >= frameContentBytes)
                    {
                        framePrevious = WriteFrame(output, history, framePrevious, content, compressor);
                    }
                }
            }
        }

        if (content.Count > 0)
        {
            WriteFrame(output, history, framePrevious, content, compressor);
        }

        var merged = new ChunkRange(first, last, previous, firstWall, lastWall, count, output.Length);
        var key = layout.ChunkKey(history.Component, history.Timeline, merged);
        output.Position = 0;
        await store.PutAsync(key, output, cancellationToken);
        return new ChunkDescriptor(key, history.Component, history.Timeline, merged);
    }

    private static OplogTimestamp WriteFrame(MemoryStream output, ComponentHistory history, OplogTimestamp previous, ChunkContentBuilder content, Compressor compressor)
    {
        var bytes = OplogChunkFormat.Encode(history.Component, history.Timeline, previous, content, ChunkCodec.Zstd, compressor);
        output.Write(bytes);
        var newest = content.Last;
        content.Clear();
        return newest;
    }
}
