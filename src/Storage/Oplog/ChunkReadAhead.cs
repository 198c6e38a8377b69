using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Fetches, verifies and decompresses chunks in parallel, <c>ahead</c> at a time, and hands them over in order:
/// the apply never waits on the network or zstd while a chunk is ready. Readers reuse their buffers (fresh
/// 16 MiB buffers per chunk cost more in page faults than zstd): there are <c>ahead + 1</c> of them in a ring,
/// and chunk k+ahead is read by chunk k−1's reader, which the caller is done with once it asks for chunk k.
/// The restore's replay, its check of the chunks before the replay and the repository scrub all read through it.
/// </summary>
public static class ChunkReadAhead
{
    /// <summary>The chunks in order; the first that is corrupt or missing ends the enumeration with its exception.</summary>
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
    /// Every chunk in order, each with what went wrong reading it (a <see cref="CorruptObjectException"/> or an
    /// <see cref="ObjectNotFoundException"/>) instead of ending there: a scrub goes on past a broken chunk.
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

        var window = new Queue<Task<ChunkRead>>();
        try
        {
            var next = 0;
            while (next < keys.Count && window.Count < ahead)
            {
                window.Enqueue(ReadOneAsync(readers[next % readers.Length], keys[next++], cancellationToken));
            }

            while (window.Count > 0)
            {
                var chunk = await window.Dequeue();
                if (next < keys.Count)
                {
                    window.Enqueue(ReadOneAsync(readers[next % readers.Length], keys[next++], cancellationToken));
                }

                yield return chunk;
            }
        }
        finally
        {
            // Stopped early (target reached, failure): let reads in flight end before their readers are disposed.
            foreach (var pending in window)
            {
                try
                {
                    await pending;
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

    private static Task<ChunkRead> ReadOneAsync(OplogChunkReader reader, string key, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                try
                {
                    return new ChunkRead(key, await reader.ReadAsync(key, cancellationToken), null);
                }
                catch (Exception e) when (e is CorruptObjectException or ObjectNotFoundException)
                {
                    return new ChunkRead(key, null, e);
                }
            },
            cancellationToken);
}
