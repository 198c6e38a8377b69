namespace Archiver.Bench.Storage;

/// <summary>The <c>storage.backends</c> group: the remote backends' figures of <see cref="StorageBenchmarks"/> alone, for work on a backend.</summary>
internal sealed class BackendBenchmarks : IBenchmarkGroup
{
    public string Name => "storage.backends";

    public Task RunAsync(BenchReport report) => BackendTransferBenchmark.RunAsync(report);
}
