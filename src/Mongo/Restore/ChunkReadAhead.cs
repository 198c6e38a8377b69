using System.Runtime.CompilerServices;
using Archiver.Storage.Backends;
using Archiver.Storage.Oplog;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Fetches, verifies and decompresses chunks in parallel, <c>ahead</c> at a time, and hands them over in order:
/// the apply never waits on the network or zstd while a chunk is ready.
/// </summary>
internal static class ChunkReadAhead
{
    public static async IAsyncEnumerable<OplogChunk> ReadAsync(
        IObjectStore store,
        IReadOnlyList<string> keys,
        int ahead,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var window = new Queue<Task<OplogChunk>>();
        var next = 0;
        while (next < keys.Count && window.Count < Math.Max(1, ahead))
        {
            window.Enqueue(ReadOneAsync(store, keys[next++], cancellationToken));
        }

        while (window.Count > 0)
        {
            var chunk = await window.Dequeue();
            if (next < keys.Count)
            {
                window.Enqueue(ReadOneAsync(store, keys[next++], cancellationToken));
            }

            yield return chunk;
        }
    }

    private static Task<OplogChunk> ReadOneAsync(IObjectStore store, string key, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                using var reader = new OplogChunkReader(store);
                return await reader.ReadAsync(key, cancellationToken);
            },
            cancellationToken);
}
