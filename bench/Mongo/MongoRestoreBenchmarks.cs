extern alias mongodriver;

using Archiver.Emulators.MongoDb;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The <c>mongo.restore</c> group: the two restore figures of <see cref="MongoBenchmarks"/> alone (about 2 min instead
/// of 3.5), for work on the restore that does not touch the ingest or the replay pipeline. Same emulator settings.
/// </summary>
internal sealed class MongoRestoreBenchmarks : IBenchmarkGroup
{
    public string Name => "mongo.restore";

    public async Task RunAsync(BenchReport report)
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 2L << 30 });
        var settings = MongoClientSettings.FromConnectionString(emulator.ConnectionString);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
        var client = new MongoClient(settings);
        try
        {
            using var folder = new BenchFolder();
            await OneOpApplyBenchmark.RunAsync(client, folder, report);
            await BulkInsertBenchmark.RunAsync(client, folder, report);
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }
    }
}
