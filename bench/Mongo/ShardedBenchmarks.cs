namespace Archiver.Bench.Mongo;

/// <summary>The <c>mongo.sharded</c> group: a sharded cluster's restore, its replica sets at once against one after another.</summary>
internal sealed class ShardedBenchmarks : IBenchmarkGroup
{
    public string Name => "mongo.sharded";

    public Task RunAsync(BenchReport report) => ShardedRestoreBenchmark.RunAsync(report);
}
