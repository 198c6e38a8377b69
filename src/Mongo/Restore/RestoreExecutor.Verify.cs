using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Verification;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// Loads the base backup while every chunk the plan replays is read and checked beside it (CRC, header, and each
    /// linked to the one before it in its segment), with the scrub's checker. The replay starts only once both are
    /// done, so a broken chunk fails the restore before its first oplog write, naming every broken chunk, rather
    /// than part way into the replay. A broken chunk found while the load still runs stops the load.
    /// </summary>
    private async Task<long> LoadCheckingChunksAsync(
        Func<CancellationToken, Task<long>> load, RestoreWork work, RestoreCheckpoint? resumeAt, IObjectStore chunkStore, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var check = CheckChunksAsync(work, resumeAt, chunkStore, stop.Token);
        var loading = load(stop.Token);
        try
        {
            if (await Task.WhenAny(check, loading) == check && check.IsFaulted)
            {
                // The broken chunk is why the restore fails, whatever the load was doing when it was stopped.
                await stop.CancelAsync();
                await QuietlyAsync(loading);
                await check;
            }

            var loaded = await loading;
            await check;
            return loaded;
        }
        finally
        {
            // A failed load stops the check: nobody waits for it any more.
            await stop.CancelAsync();
            await QuietlyAsync(check);
        }
    }

    private static async Task QuietlyAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Its outcome no longer matters: another failure is the one reported.
        }
    }

    /// <summary>
    /// Checks the chunks the replay will read: for a restore taken up again, those from its checkpoint on, as the replay
    /// skips the segments before the checkpoint's and the chunks wholly before its readFrom (the first one read still
    /// checked against the one before it).
    /// </summary>
    private async Task CheckChunksAsync(RestoreWork work, RestoreCheckpoint? resumeAt, IObjectStore chunkStore, CancellationToken cancellationToken)
    {
        var chunks = work.Plan.Segments
            .SelectMany((s, index) => s.Chunks
                .Select((chunk, i) => new ChunkToCheck(chunk, i == 0 ? null : s.Chunks[i - 1]))
                .Where(c => resumeAt is null || index > resumeAt.Segment || (index == resumeAt.Segment && c.Chunk.Range.Last >= resumeAt.ReadFrom)))
            .ToList();
        var result = await ChunkChainCheck.RunAsync(chunkStore, chunks, _options.ReadAhead, cancellationToken);
        if (result.Problems.Count > 0)
        {
            throw new StorageException(
                $"{result.Problems.Count} of the {chunks.Count} chunks the replay needs cannot be used, found before any oplog entry was applied: "
                + string.Join("; ", result.Problems.Take(5).Select(p => $"'{p.Key}': {p.Reason}")));
        }
    }
}
