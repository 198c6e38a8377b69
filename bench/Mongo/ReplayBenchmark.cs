extern alias mongodriver;

using System.Buffers.Binary;
using System.Diagnostics;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Oplog;
using mongodriver::MongoDB.Bson;
using ZstdSharp;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The restore's replay pipeline without the database (read ahead in parallel, CRC check, zstd, index walk,
/// de-duplication, target filter, applyOps batches built with the resume checkpoint each restore writes, and handed
/// to a sink that drops them) against reading
/// the same chunk objects and only zstd-decompressing their payloads, one after the other.
/// </summary>
internal static class ReplayBenchmark
{
    // Paired rounds judged by the median ratio (see PairedRounds): 15 rounds of about a second.
    private const int Rounds = 15;

    // Each round is a restore of the chunks the ingest left, replayed enough times in a row to make about
    // ChunksPerRound chunks (every pass applied in full), on both sides. A restore has costs of its own besides its throughput:
    // filling the read-ahead window before the first entry, applying the last chunks with nothing left to decode
    // beside it. A real PITR replays hundreds to thousands of chunks; at 24 chunks a round those fixed costs were
    // a tenth of the figure (0.72 against 0.83 at 96 chunks, median of 21 rounds in one run), so a round is 96.
    private const int ChunksPerRound = 96;

    public static async Task RunAsync(ArchivedChunks chunks, BenchReport report)
    {
        var passes = Math.Max(1, (int)Math.Round((double)ChunksPerRound / chunks.Keys.Count));
        var keys = Enumerable.Repeat(chunks.Keys, passes).SelectMany(k => k).ToList();
        // A first raw pass warms the files and the JIT, and tells how much content a round decompresses.
        var mib = await RawAsync(chunks.Store, keys) / (1024.0 * 1024.0);
        var firstEntry = new List<double>();
        var (pipeline, raw, rounds) = await PairedRounds.MedianAsync(
            Rounds,
            async () =>
            {
                var watch = Stopwatch.StartNew();
                var entries = await PipelineAsync(chunks, keys, watch, firstEntry);
                var seconds = watch.Elapsed.TotalSeconds;
                if (entries != chunks.Entries * passes)
                {
                    throw new InvalidOperationException($"The pipeline replayed {entries} entries, expected {chunks.Entries * passes}.");
                }

                return mib / seconds;
            },
            async () =>
            {
                var watch = Stopwatch.StartNew();
                await RawAsync(chunks.Store, keys);
                return mib / watch.Elapsed.TotalSeconds;
            });

        var (decode, apply) = await StagesAsync(chunks);
        Console.WriteLine($"# replay: {chunks.Keys.Count} chunks x {passes} passes, {mib:0.0} MiB of content; median of {rounds} paired rounds: raw zstd {raw:0} MiB/s, pipeline {pipeline:0} MiB/s ({chunks.Entries * passes / (mib / pipeline):0} entries/s)");
        Console.WriteLine($"# replay start-up (the read-ahead filling its window): first entry applied after {firstEntry.Order().ElementAt(firstEntry.Count / 2) * 1000:0.0} ms (median)");
        Console.WriteLine($"# replay stages on one thread: read+CRC+zstd+index {mib / passes / decode:0} MiB/s, filter+batch {mib / passes / apply:0} MiB/s");
        report.AtLeast("mongo.replay.pipeline_mib_s", pipeline, raw, 0.8);
    }

    /// <summary>
    /// The reference: each object read into one reused buffer and decompressed into another, nothing else. Reusing
    /// both keeps allocation and page faults out of it, as the pipeline's pooled buffers keep them out of a replay.
    /// </summary>
    private static async Task<long> RawAsync(IObjectStore store, IReadOnlyList<string> keys)
    {
        using var decompressor = new Decompressor();
        var output = new byte[1 << 20];
        var download = new byte[1 << 20];
        long total = 0;
        foreach (var key in keys)
        {
            int length;
            await using (var stream = await store.GetAsync(key))
            {
                if (download.Length < stream.Length)
                {
                    download = new byte[stream.Length];
                }

                length = await stream.ReadAtLeastAsync(download, (int)stream.Length);
            }

            var bytes = download.AsSpan(0, length);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[80..]);
            var contentLength = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes[56..]);
            if (output.Length < contentLength)
            {
                output = new byte[contentLength];
            }

            total += decompressor.Unwrap(bytes[(86 + nameLength)..], output);
        }

        return total;
    }

    private static async Task<long> PipelineAsync(ArchivedChunks chunks, IReadOnlyList<string> keys, Stopwatch watch, List<double> firstEntry)
    {
        var applier = Applier();
        var target = RecoveryTarget.AtTs(OplogTimestamp.FromValue(long.MaxValue));
        var last = chunks.After;
        var read = 0;
        await foreach (var chunk in ChunkReadAhead.ReadAsync(chunks.Store, keys, new RestoreOptions().ReadAhead))
        {
            if (read++ % chunks.Keys.Count == 0)
            {
                last = chunks.After; // the next pass starts from the backup's point again
            }

            foreach (var entry in chunk.Entries)
            {
                if (entry.Ts <= last || target.IsPast(entry))
                {
                    continue;
                }

                if (applier.EntriesApplied == 0)
                {
                    firstEntry.Add(watch.Elapsed.TotalSeconds);
                }

                await applier.ApplyAsync(entry, CancellationToken.None);
                last = entry.Ts;
            }

            await applier.CheckpointAsync(CancellationToken.None);
        }

        return applier.EntriesApplied;
    }

    /// <summary>Where the pipeline's time goes: each half alone on one thread, best of five (printed, not judged).</summary>
    private static async Task<(double Decode, double Apply)> StagesAsync(ArchivedChunks chunks)
    {
        double decode = double.MaxValue, apply = double.MaxValue;
        using var reusing = new OplogChunkReader(chunks.Store, reuseBuffers: true);
        using var keeping = new OplogChunkReader(chunks.Store);
        var decoded = new List<OplogChunk>();
        foreach (var key in chunks.Keys) decoded.Add(await keeping.ReadAsync(key));
        for (var round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            foreach (var key in chunks.Keys) await reusing.ReadAsync(key);
            decode = Math.Min(decode, watch.Elapsed.TotalSeconds);
            var applier = Applier();
            watch.Restart();
            foreach (var chunk in decoded)
            {
                foreach (var entry in chunk.Entries) await applier.ApplyAsync(entry, CancellationToken.None);
                await applier.CheckpointAsync(CancellationToken.None);
            }

            apply = Math.Min(apply, watch.Elapsed.TotalSeconds);
        }

        return (decode, apply);
    }

    /// <summary>An applier with the resume bookkeeping a restore has: a checkpoint built into every batch and after every chunk.</summary>
    private static OplogApplier Applier()
    {
        var applier = new OplogApplier(new NamespaceRules(_ => true, name => name), (_, _, _) => Task.FromResult(new BsonDocument()), 1000, OplogTimestamp.Zero);
        applier.Checkpoint = () => RestoreMarker.CheckpointOp("bench", new RestoreCheckpoint(0, applier.Done, applier.DoneWallUnixMs, applier.ReadFrom, applier.EntriesApplied));
        return applier;
    }
}
