using System.Diagnostics;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Bench.Storage;

/// <summary>
/// One year of one-minute chunks (525,600) and hourly backups (8,760): build the catalog from the listing's keys
/// and sizes and the manifests, measure what it retains, then time random restore plans. The goals are absolute
/// budgets from the issue, so each line's reference is its budget.
/// </summary>
internal static class CatalogScale
{
    private const int Minutes = 525_600;
    private const int Hours = 8_760;
    private const uint Start = 1_735_689_600; // 2025-01-01T00:00:00Z

    public static void Run(BenchReport report)
    {
        var layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
        var (keys, sizes) = Listing(layout);
        var manifests = Manifests();

        // Build twice: the first run warms the JIT; the second is measured.
        Build(layout, keys, sizes, manifests);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        var catalog = Build(layout, keys, sizes, manifests);
        var buildMs = watch.Elapsed.TotalMilliseconds;
        var retainedMb = (GC.GetTotalMemory(forceFullCollection: true) - before) / (1024.0 * 1024.0);

        var random = new Random(3);
        var now = DateTimeOffset.FromUnixTimeSeconds(Start + (Minutes * 60L) + 3600);
        for (var i = 0; i < 2_000; i++)
        {
            catalog.PlanRestore(RandomTarget(random), now);
        }

        const int queries = 20_000;
        var times = new double[queries];
        var planned = 0;
        for (var i = 0; i < queries; i++)
        {
            var target = RandomTarget(random);
            var start = Stopwatch.GetTimestamp();
            planned += catalog.PlanRestore(target, now).IsPossible ? 1 : 0;
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        Console.WriteLine($"# catalog: {Minutes} chunks, {Hours} backups, {planned} of {queries} random targets plannable");
        report.AtMost("storage.catalog.build_ms", buildMs, 2_000, 1);
        report.AtMost("storage.catalog.retained_mb", retainedMb, 300, 1);
        report.AtMost("storage.catalog.plan_mean_ms", times.Average(), 1, 1);
        report.AtMost("storage.catalog.plan_p99_ms", times[(int)(queries * 0.99)], 1, 1);
        GC.KeepAlive(catalog);
        GC.KeepAlive(keys);
    }

    private static RecoveryTarget RandomTarget(Random random) =>
        RecoveryTarget.AtTime(DateTimeOffset.FromUnixTimeMilliseconds((Start * 1000L) + (long)(random.NextDouble() * Minutes * 60_000L)));

    private static RepositoryCatalog Build(RepositoryLayout layout, string[] keys, long[] sizes, BackupManifest[] manifests)
    {
        var catalog = new RepositoryCatalog(layout);
        for (var i = 0; i < keys.Length; i++)
        {
            catalog.AddChunkObject(keys[i], sizes[i]);
        }

        foreach (var manifest in manifests)
        {
            catalog.AddBackup(manifest);
        }

        // Force the derived arrays (chain, runs, sorted backups) so the build pays for them, not the first query.
        _ = catalog.Timeline(1).Component("rs0").Runs;
        _ = catalog.Timeline(1).SucceededBackups;
        return catalog;
    }

    private static (string[] Keys, long[] Sizes) Listing(RepositoryLayout layout)
    {
        var keys = new string[Minutes];
        var sizes = new long[Minutes];
        for (var m = 0; m < Minutes; m++)
        {
            var first = new OplogTimestamp(Start + (uint)(m * 60), 1);
            var last = new OplogTimestamp(Start + (uint)(m * 60) + 59, 900);
            var previous = m == 0 ? OplogTimestamp.Zero : new OplogTimestamp(Start + (uint)(m * 60) - 1, 900);
            var range = new ChunkRange(first, last, previous, first.Seconds * 1000L, (last.Seconds * 1000L) + 999, 54_000, 1_500_000);
            keys[m] = layout.ChunkKey("rs0", 1, range);
            sizes[m] = range.SizeBytes;
        }

        return (keys, sizes);
    }

    private static BackupManifest[] Manifests()
    {
        var manifests = new BackupManifest[Hours];
        for (var h = 0; h < Hours; h++)
        {
            var consistent = Start + (uint)(h * 3600) + 1800;
            manifests[h] = new BackupManifest
            {
                Id = $"b{h:D5}",
                Driver = "mongodump",
                Components = ["rs0"],
                Timeline = 1,
                StartedAt = DateTimeOffset.FromUnixTimeSeconds(consistent - 600),
                FinishedAt = DateTimeOffset.FromUnixTimeSeconds(consistent),
                Status = h % 50 == 49 ? BackupStatus.Failed : BackupStatus.Succeeded,
                ConsistentAt = new OplogTimestamp(consistent, 1),
                ConsistentWallUnixMs = consistent * 1000L,
                Files = [new BackupFile("all.bson", "rs0", 1L << 30, 1L << 28, new string('0', 64), "zstd")],
            };
        }

        return manifests;
    }
}
