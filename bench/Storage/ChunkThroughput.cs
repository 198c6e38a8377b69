using System.Diagnostics;
using Archiver.Storage;
using Archiver.Storage.Oplog;
using ZstdSharp;

namespace Archiver.Bench.Storage;

/// <summary>
/// The whole chunk pipeline (frame entries, zstd, SHA-256, header; and back with verification) against raw zstd
/// compress/decompress of the same documents at the same level, alternating rounds so both see the same machine.
/// Throughput is counted in document bytes for both; both sides work in reused buffers, as the writer and a
/// replay do.
/// </summary>
internal static class ChunkThroughput
{
    private const int Level = 3;
    private const int Rounds = 15;

    public static void Run(BenchReport report)
    {
        var entries = SyntheticOplog.Entries(64_000, seed: 1);
        var raw = entries.SelectMany(e => e.Document.ToArray()).ToArray();
        var rawMb = raw.Length / (1024.0 * 1024.0);
        using var compressor = new Compressor(Level);
        using var decompressor = new Decompressor();
        var builder = new ChunkContentBuilder(raw.Length * 2);
        var compressed = compressor.Wrap(raw).ToArray();
        var rawCompressed = new byte[Compressor.GetCompressBound(raw.Length)];
        using var readBuffers = new ChunkBuffers();
        var rawOut = new byte[raw.Length];
        using var buffers = new ChunkBuffers();
        ArraySegment<byte> chunk = default;

        double pipelineWrite = double.MaxValue, rawWrite = double.MaxValue, pipelineRead = double.MaxValue, rawRead = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            pipelineWrite = Math.Min(pipelineWrite, Time(() =>
            {
                builder.Clear();
                foreach (var entry in entries)
                {
                    builder.Append(entry);
                }

                chunk = OplogChunkFormat.Encode("rs0", 1, OplogTimestamp.Zero, builder, ChunkCodec.Zstd, compressor, buffers);
            }));
            rawWrite = Math.Min(rawWrite, Time(() => compressor.Wrap(raw, rawCompressed)));
            var bytes = chunk.ToArray();
            pipelineRead = Math.Min(pipelineRead, Time(() => OplogChunkFormat.Decode("bench", bytes, decompressor, readBuffers)));
            rawRead = Math.Min(rawRead, Time(() => decompressor.Unwrap(compressed, rawOut)));
        }

        Console.WriteLine($"# chunk: {entries.Count} entries, {rawMb:0.0} MiB of documents, zstd level {Level}, chunk {chunk.Count / 1024.0 / 1024.0:0.00} MiB ({raw.Length / (double)chunk.Count:0.0}x)");
        report.AtLeast("storage.chunk.write_mib_s", rawMb / pipelineWrite, rawMb / rawWrite, 0.8);
        report.AtLeast("storage.chunk.read_mib_s", rawMb / pipelineRead, rawMb / rawRead, 0.8);
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }
}
