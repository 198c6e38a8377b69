using System.Runtime.CompilerServices;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Streams the entries of an ordered chunk list (each object's frames in turn) exactly once each: entries at or before the last one yielded
/// are skipped, so overlapping or duplicated chunks (a crash re-wrote a range) are never applied twice.
/// Buffers are reused from chunk to chunk: an entry's document is valid until the replay moves on to the next
/// chunk, so apply it (or copy it) before asking for more.
/// </summary>
public static class OplogReplay
{
    /// <summary>
    /// Entries at or before <c>after</c> are already in the base backup; the first entry for which <c>stop</c>
    /// is true ends the replay, unapplied, so what is replayed is always a prefix of the history.
    /// </summary>
    public static async IAsyncEnumerable<OplogEntry> ReadAsync(
        IObjectStore store,
        IEnumerable<string> chunkKeys,
        OplogTimestamp after,
        Func<OplogEntry, bool> stop,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkKeys);
        ArgumentNullException.ThrowIfNull(stop);
        using var reader = new OplogChunkReader(store, reuseBuffers: true);
        var last = after;
        foreach (var key in chunkKeys)
        {
            await foreach (var chunk in reader.ReadFramesAsync(key, cancellationToken))
            {
                if (!chunk.Header.Previous.IsZero && chunk.Header.Previous > last)
                {
                    throw new StorageException(
                        $"Chunk '{key}' starts after {chunk.Header.Previous} but the replay only reached {last}: the chain has a gap.");
                }

                foreach (var entry in chunk.Entries)
                {
                    if (entry.Ts <= last)
                    {
                        continue;
                    }

                    if (stop(entry))
                    {
                        yield break;
                    }

                    last = entry.Ts;
                    yield return entry;
                }
            }
        }
    }
}
