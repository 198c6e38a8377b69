namespace Archiver.Bench.Storage;

/// <summary>
/// The <c>storage</c> group: the chunk pipeline against raw zstd, the one-year catalog, an idle database's uploads a day,
/// a busy one's uploads and objects a day, and each remote backend against a raw HTTP transfer to the same server.
/// </summary>
internal sealed class StorageBenchmarks : IBenchmarkGroup
{
    public string Name => "storage";

    public async Task RunAsync(BenchReport report)
    {
        ChunkThroughput.Run(report);
        CatalogScale.Run(report);
        await IdleArchivingBenchmark.RunAsync(report);
        await ArchivingCostBenchmark.RunAsync(report);
        await BackendTransferBenchmark.RunAsync(report);
    }
}
