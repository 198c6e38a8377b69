namespace Archiver.Bench.Mongo;

/// <summary>
/// The <c>mongo.restore</c> group: the two restore figures of <see cref="MongoBenchmarks"/> alone (about 2 min instead
/// of 3.5), for work on the restore that does not touch the ingest or the replay pipeline. Same emulator settings.
/// </summary>
internal sealed class MongoRestoreBenchmarks : IBenchmarkGroup
{
    public string Name => "mongo.restore";

    public Task RunAsync(BenchReport report) => MongoBenchmarks.WithEmulatorAsync(async (client, folder) =>
    {
        await OneOpApplyBenchmark.RunAsync(client, folder, report);
        await BulkInsertBenchmark.RunAsync(client, folder, report);
    });
}
