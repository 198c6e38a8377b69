using System.Buffers.Binary;
using System.Diagnostics;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Backends;
using ZstdSharp;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The restore's replay pipeline without the database (read ahead in parallel, CRC check, zstd, index walk,
/// de-duplication, target filter, applyOps batches built and handed to a sink that drops them) against reading
/// the same chunk objects and only zstd-decompressing their payloads.
/// </summary>
internal static class ReplayBenchmark
{
    // Each round gets fresh memory from the GC or not, by chance; on the build machine's VM a page fault costs
    // about 25 µs, so a round that faults in 16 MiB takes ~100 ms longer, on either side. Five rounds often left
    // one side without a clean round; in fifteen (as the storage group runs) each side had five or six.
    private const int Rounds = 15;

    public static async Task RunAsync(ArchivedChunks chunks, BenchReport report)
    {
        double pipeline = double.MaxValue, raw = double.MaxValue;
        long bytes = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            bytes = await RawAsync(chunks);
            raw = Math.Min(raw, watch.Elapsed.TotalSeconds);
            watch.Restart();
            var entries = await PipelineAsync(chunks);
            pipeline = Math.Min(pipeline, watch.Elapsed.TotalSeconds);
            if (entries != chunks.Entries)
            {
                throw new InvalidOperationException($"The pipeline replayed {entries} entries, expected {chunks.Entries}.");
            }
        }

        var mib = bytes / (1024.0 * 1024.0);
        Console.WriteLine($"# replay: {chunks.Keys.Count} chunks, {mib:0.0} MiB of content; raw zstd {mib / raw:0} MiB/s, pipeline {mib / pipeline:0} MiB/s ({chunks.Entries / pipeline:0} entries/s)");
        report.AtLeast("mongo.replay.pipeline_mib_s", mib / pipeline, mib / raw, 0.8);
    }

    private static async Task<long> RawAsync(ArchivedChunks chunks)
    {
        using var decompressor = new Decompressor();
        var output = new byte[1 << 20];
        long total = 0;
        foreach (var key in chunks.Keys)
        {
            var bytes = await chunks.Store.GetBytesAsync(key);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(80));
            var contentLength = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(56));
            if (output.Length < contentLength)
            {
                output = new byte[contentLength];
            }

            total += decompressor.Unwrap(bytes.AsSpan(86 + nameLength), output);
        }

        return total;
    }

    private static async Task<long> PipelineAsync(ArchivedChunks chunks)
    {
        var rules = new NamespaceRules(_ => true, name => name);
        var applier = new OplogApplier(rules, (_, _, _) => Task.CompletedTask, 1000, OplogTimestamp.Zero);
        var target = RestoreTarget.AtTs(OplogTimestamp.FromValue(long.MaxValue));
        var last = chunks.After;
        await foreach (var chunk in ChunkReadAhead.ReadAsync(chunks.Store, chunks.Keys, 4))
        {
            foreach (var entry in chunk.Entries)
            {
                if (entry.Ts <= last || target.IsPast(entry))
                {
                    continue;
                }

                await applier.ApplyAsync(entry, CancellationToken.None);
                last = entry.Ts;
            }

            await applier.FlushAsync(CancellationToken.None);
        }

        return applier.EntriesApplied;
    }
}
