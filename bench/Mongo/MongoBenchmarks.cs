extern alias mongodriver;

using Archiver.Emulators.MongoDb;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The <c>mongo</c> group: archiver ingest against a bare cursor drain, the restore's replay pipeline against raw
/// zstd, the recovery point under a sustained write rate, the whole restore against the anchors' one-op-per-applyOps
/// apply, and an insert-only restore against the server's own insertMany ingest. All against the in-process MongoDB
/// emulator (the restore figures on fresh emulators per side), so the figures compare our code with the same
/// emulator doing the least possible work.
/// </summary>
internal sealed class MongoBenchmarks : IBenchmarkGroup
{
    public string Name => "mongo";

    public Task RunAsync(BenchReport report) => WithEmulatorAsync(async (client, folder) =>
    {
        var chunks = await IngestBenchmark.RunAsync(client, folder, report);
        await ReplayBenchmark.RunAsync(chunks, report);
        await RecoveryPointBenchmark.RunAsync(client, report);
        await OneOpApplyBenchmark.RunAsync(client, folder, report);
        await BulkInsertBenchmark.RunAsync(client, folder, report);
    });

    /// <summary>The mongo groups' setting: one emulator with a 2 GiB oplog, a client of it and a scratch folder, for <paramref name="run"/>.</summary>
    internal static async Task WithEmulatorAsync(Func<MongoClient, BenchFolder, Task> run)
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 2L << 30 });
        var settings = MongoClientSettings.FromConnectionString(emulator.ConnectionString);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
        var client = new MongoClient(settings);
        try
        {
            using var folder = new BenchFolder();
            await run(client, folder);
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }
    }
}
