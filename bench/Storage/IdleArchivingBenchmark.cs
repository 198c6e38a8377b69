extern alias mongodriver;

using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Archiving;
using Archiver.Storage.Layout;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Storage;

/// <summary>
/// What archiving an idle database costs in uploads per day, at the default settings, beside PBM's cadence (a
/// 10-minute oplog slice: 144 a day) and WAL-G's (<c>archive_timeout</c> 60 s: at most 1,440 a day); without the idle
/// flush ours was a chunk per periodic no-op, 8,640 a day. A day is run 1,000 times faster: the
/// replica set's periodic no-op every 10 ms instead of 10 s, the idle flush every 300 ms instead of 5 minutes, for
/// 8.64 s; every upload counts, as a PUT does.
/// </summary>
internal static class IdleArchivingBenchmark
{
    private const double Speedup = 1000;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1) / Speedup;

    public static async Task RunAsync(BenchReport report)
    {
        var withFlush = await PutsPerDayAsync(TimeSpan.FromMinutes(5) / Speedup);
        // Without the flush a chunk follows each no-op: 8,640 a day. That is not measured here: at this speed the tail's
        // own wait for entries (100 ms, not scaled) would merge several no-ops per chunk and make it look cheaper.
        Console.WriteLine($"# idle database, one simulated day: {withFlush} uploads with the 5-minute idle flush (a chunk per no-op: 8,640); PBM 144, WAL-G at most 1,440");
        report.WithinBudget("storage.idle.puts_per_day", withFlush, 144, 300, "puts");
    }

    private static async Task<long> PutsPerDayAsync(TimeSpan idleFlush)
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = TimeSpan.FromSeconds(10) / Speedup });
        var client = new MongoClient(emulator.ConnectionString);
        try
        {
            // Every upload counts, as a PUT does.
            var store = new MemoryObjectStore();
            var archiver = new OplogArchiver(client, store, RepositoryLayout.ForDatabase("MongoDB", "bench", "idle"), new OplogArchiverOptions
            {
                Component = "rs0",
                Timeline = 1,
                IdleFlushInterval = idleFlush,
            });
            using var stop = new CancellationTokenSource();
            var run = Task.Run(() => archiver.RunAsync(stop.Token));
            // From the first upload on (the run's first chunk is cut at once, whatever it holds).
            while (store.Puts == 0) await Task.Delay(1);
            var before = store.Puts;
            await Task.Delay(Day);
            var puts = store.Puts - before;
            await stop.CancelAsync();
            await run;
            return puts;
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }
    }
}
