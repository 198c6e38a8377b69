namespace Archiver.Bench.Storage;

/// <summary>The <c>storage</c> group: the chunk pipeline against raw zstd, and the one-year catalog.</summary>
internal sealed class StorageBenchmarks : IBenchmarkGroup
{
    public string Name => "storage";

    public Task RunAsync(BenchReport report)
    {
        ChunkThroughput.Run(report);
        CatalogScale.Run(report);
        return Task.CompletedTask;
    }
}
