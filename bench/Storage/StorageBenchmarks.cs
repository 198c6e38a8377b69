namespace Archiver.Bench.Storage;

/// <summary>The <c>storage</c> group: the chunk pipeline against raw zstd, the one-year catalog, and an idle database's uploads a day, and a busy one's uploads and objects a day.</summary>
internal sealed class StorageBenchmarks : IBenchmarkGroup
{
    public string Name => "storage";

    public async Task RunAsync(BenchReport report)
    {
        ChunkThroughput.Run(report);
        CatalogScale.Run(report);
        await IdleArchivingBenchmark.RunAsync(report);
        await ArchivingCostBenchmark.RunAsync(report);
    }
}
