using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Fetches, verifies and decompresses chunks in parallel, <c>ahead</c> objects at a time, and hands their frames over
/// in order: the apply never waits on the network or zstd while a chunk is ready. Readers reuse their buffers (fresh
/// 16 MiB buffers per chunk cost more in page faults than zstd): there are <c>ahead + 1</c> of them in a ring,
/// and object k+ahead is read by object k−1's reader, which the caller is done with once it asks for object k's first
/// frame. Of an object of many frames (a merged one) only the first is read ahead; the rest stream from its
/// download as the caller asks for them, so memory stays a frame per reader whatever the object's size.
/// The restore's replay, its check of the chunks before the replay and the repository scrub all read through it.
/// </summary>
public static class ChunkReadAhead
{
    /// <summary>The frames in order; the first that is corrupt or missing ends the enumeration with its exception.</summary>
    public static async IAsyncEnumerable<OplogChunk> ReadAsync(
        IObjectStore store,
        IReadOnlyList<string> keys,
        int ahead,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var read in ReadEachAsync(store, keys, ahead, cancellationToken))
        {
            if (read.Error is not null)
            {
                ExceptionDispatchInfo.Throw(read.Error);
            }

            yield return read.Chunk!;
        }
    }

    /// <summary>
    /// Every frame in order, each with what went wrong reading its object (a <see cref="CorruptObjectException"/> or an
    /// <see cref="ObjectNotFoundException"/>) instead of ending there: a scrub goes on past a broken chunk. An object
    /// that fails is not read further: its error is its last item.
    /// </summary>
    public static async IAsyncEnumerable<ChunkRead> ReadEachAsync(
        IObjectStore store,
        IReadOnlyList<string> keys,
        int ahead,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ahead = Math.Max(1, ahead);
        var readers = new OplogChunkReader[ahead + 1];
        for (var i = 0; i < readers.Length; i++)
        {
            readers[i] = new OplogChunkReader(store, reuseBuffers: true);
        }

        var window = new Queue<Task<Opened>>();
        try
        {
            var next = 0;
            while (next < keys.Count && window.Count < ahead)
            {
                window.Enqueue(OpenAsync(readers[next % readers.Length], keys[next++], cancellationToken));
            }

            while (window.Count > 0)
            {
                var opened = await window.Dequeue();
                if (next < keys.Count)
                {
                    window.Enqueue(OpenAsync(readers[next % readers.Length], keys[next++], cancellationToken));
                }

                await using (opened)
                {
                    yield return opened.First;
                    while (opened.First.Chunk is not null && await opened.NextAsync() is { } frame)
                    {
                        yield return frame;
                    }
                }
            }
        }
        finally
        {
            // Stopped early (target reached, failure): let reads in flight end before their readers are disposed.
            foreach (var pending in window)
            {
                try
                {
                    await (await pending).DisposeAsync();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Nobody wants this chunk any more.
                }
            }

            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }

    private static Task<Opened> OpenAsync(OplogChunkReader reader, string key, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                var frames = reader.ReadFramesAsync(key, cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    return await frames.MoveNextAsync()
                        ? new Opened(key, frames, new ChunkRead(key, frames.Current, null))
                        : new Opened(key, frames, new ChunkRead(key, null, new CorruptObjectException(key, "it holds no frame")));
                }
                catch (Exception e) when (e is CorruptObjectException or ObjectNotFoundException)
                {
                    return new Opened(key, frames, new ChunkRead(key, null, e));
                }
            },
            cancellationToken);

    /// <summary>An object whose first frame is read (or whose reading failed), the rest still to come from its stream.</summary>
    private sealed class Opened(string key, IAsyncEnumerator<OplogChunk> frames, ChunkRead first) : IAsyncDisposable
    {
        private int _frame;
        private bool _done;

        public ChunkRead First { get; } = first;

        public async Task<ChunkRead?> NextAsync()
        {
            if (_done)
            {
                return null;
            }

            try
            {
                if (await frames.MoveNextAsync())
                {
                    return new ChunkRead(key, frames.Current, null, ++_frame);
                }

                _done = true;
                return null;
            }
            catch (Exception e) when (e is CorruptObjectException or ObjectNotFoundException)
            {
                _done = true;
                return new ChunkRead(key, null, e, ++_frame);
            }
        }

        public ValueTask DisposeAsync() => frames.DisposeAsync();
    }
}
