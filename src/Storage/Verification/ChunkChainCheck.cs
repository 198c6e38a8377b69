using Archiver.Storage.Backends;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Verification;

/// <summary>
/// Reads chunks (through <see cref="ChunkReadAhead"/>, a few at a time, in bounded memory) and checks each: every
/// frame's CRC-32C, header, compression and index by decoding it whole, its header against its name, and its link to the
/// chain chunk before it. It goes on past a broken chunk, so one pass names every one. The repository scrub and a
/// restore's check before its replay both use it.
/// </summary>
public static class ChunkChainCheck
{
    public static async Task<ChunkCheckResult> RunAsync(IObjectStore store, IReadOnlyList<ChunkToCheck> chunks, int ahead, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var problems = new List<ScrubProblem>();
        var index = 0;
        var bytes = 0L;
        await foreach (var read in ChunkReadAhead.ReadEachAsync(store, [.. chunks.Select(c => c.Chunk.Key)], ahead, cancellationToken))
        {
            // A merged object comes as several frames: its first links it to the chain, the reader checks the rest.
            if (read.Frame > 0)
            {
                if (read.Error is { } later)
                {
                    problems.Add(new ScrubProblem(read.Key, ScrubProblemKind.Corrupt, ReasonOf(read.Key, later), []));
                }

                continue;
            }

            var item = chunks[index++];
            switch (read)
            {
                case { Error: ObjectNotFoundException }:
                    problems.Add(new ScrubProblem(read.Key, ScrubProblemKind.Missing, "it is listed but not in the storage", []));
                    break;
                case { Error: { } error }:
                    problems.Add(new ScrubProblem(read.Key, ScrubProblemKind.Corrupt, ReasonOf(read.Key, error), []));
                    break;
                case { Chunk: { } chunk }:
                    bytes += item.Chunk.Range.SizeBytes;
                    if (LinkProblem(chunk.Header, item.After) is { } broken)
                    {
                        problems.Add(new ScrubProblem(read.Key, ScrubProblemKind.BrokenLink, broken, []));
                    }

                    break;
            }
        }

        return new ChunkCheckResult(index, bytes, problems);
    }

    /// <summary>
    /// A chunk continues the one before it in a chain if it overlaps it (a chunk is a contiguous slice of the oplog)
    /// or names that chunk's last entry as the entry before its first. A <c>previous</c> further back, while the
    /// chunk starts after the one before it, means the two disagree about the oplog between them.
    /// </summary>
    public static string? LinkProblem(ChunkHeader header, ChunkDescriptor? after)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (after is null || header.First <= after.Range.Last || header.Previous == after.Range.Last)
        {
            return null;
        }

        return header.Previous.IsZero
            ? $"it records no previous entry, so nothing links it to '{after.Key}' before it in the chain"
            : $"its previous entry is {header.Previous}, but '{after.Key}' before it in the chain ends at {after.Range.Last}: the chain link is broken";
    }

    /// <summary>What <see cref="CorruptObjectException"/> says after naming the object.</summary>
    public static string ReasonOf(string key, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var prefix = $"Object '{key}' is corrupt: ";
        return error.Message.StartsWith(prefix, StringComparison.Ordinal) ? error.Message[prefix.Length..] : error.Message;
    }
}
