extern alias mongodriver;

using System.Diagnostics;
using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Archiving;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Storage;

/// <summary>
/// What a busy database's archive costs in object storage per day, at the default settings, beside PBM's and WAL-G's
/// cadence for the same load: uploads (the archiver cuts a chunk a second while writes flow, the 1-second RPO) and the
/// objects a day leaves once compacted (merged objects of 64 MiB). Each profile writes small documents into the
/// emulated replica set at its rate for some seconds while the real archiver uploads; the sample is then compacted as
/// the node would (everything older than the limit), and both figures are scaled to a day from what was measured:
/// uploads per second, and compacted bytes per write. PBM cuts a slice every 10 minutes whatever the load (144 a day);
/// WAL-G's oplog-push cuts at 16 MiB or every 60 s (OPLOG_ARCHIVE_AFTER_SIZE, OPLOG_ARCHIVE_TIMEOUT_INTERVAL).
/// </summary>
internal static class ArchivingCostBenchmark
{
    private const double WalgSegmentBytes = 16 * 1024 * 1024;
    private const double Day = 86_400;

    public static async Task RunAsync(BenchReport report)
    {
        foreach (var (name, rate, seconds) in new[] { ("busy10", 10, 20), ("busy20k", 20_000, 10) })
        {
            var sample = await SampleAsync(rate, TimeSpan.FromSeconds(seconds));
            var putsPerDay = sample.Puts / sample.Seconds * Day;
            var compactedPerDay = sample.CompactedBytesPerWrite * rate * Day;
            var objectsPerDay = Math.Ceiling(compactedPerDay / new CompactionLimits().TargetObjectBytes);
            var rawPerDay = sample.RawBytesPerWrite * rate * Day;
            var walg = Math.Max(Math.Min(1_440, Day * rate), rawPerDay / WalgSegmentBytes);
            Console.WriteLine($"# {rate} writes/s for {sample.Seconds:0.0} s: {sample.Writes} writes, {sample.Puts} uploads, {sample.StoredBytes / 1024.0:0} KiB in chunks, {sample.CompactedBytes / 1024.0:0} KiB compacted ({sample.CompactedObjects} objects)");
            Console.WriteLine($"#   a day: {putsPerDay:0} uploads, {compactedPerDay / (1 << 30):0.00} GiB compacted = {objectsPerDay:0} objects of 64 MiB, plus the last hour's 1-second chunks (at most 3,600 + a compaction interval's 900) not merged yet; PBM 144 uploads and objects, WAL-G {walg:0}");
            report.WithinBudget($"storage.{name}.puts_per_day", putsPerDay, walg, Day + 1_000, "puts");
            report.WithinBudget($"storage.{name}.objects_per_day", objectsPerDay, walg, 2_000, "objects");
        }

        await CatalogWeekAsync(report);
    }

    /// <summary>
    /// A week of one-second chunks (604,800; a database written to every second), the catalog loaded from its listing;
    /// then compacted as the node does (an hour kept as it is), and loaded again.
    /// </summary>
    private static async Task CatalogWeekAsync(BenchReport report)
    {
        const int Seconds = 7 * 86_400;
        var store = new MemoryObjectStore();
        var layout = RepositoryLayout.ForDatabase("MongoDB", "bench", "week");
        var entries = SyntheticOplog.Entries(1, 1);
        var start = DateTimeOffset.UtcNow.AddSeconds(-Seconds).ToUnixTimeSeconds();
        using (var writer = new OplogChunkWriter(store, layout, "rs0", 1, OplogTimestamp.Zero))
        {
            for (var s = 0; s < Seconds; s++)
            {
                var ts = new OplogTimestamp((uint)(start + s), 1);
                writer.Append(new OplogEntry(ts, (start + s) * 1000, entries[0].Document));
                await writer.PublishAsync();
            }
        }

        var before = await TimeLoadAsync(store, layout);
        var objectsBefore = store.Count;
        var watch = Stopwatch.StartNew();
        var compaction = await OplogCompaction.RunAsync(store, layout, new CompactionSettings { RemoveAfter = TimeSpan.Zero }, DateTimeOffset.UtcNow);
        var compactSeconds = watch.Elapsed.TotalSeconds;
        var after = await TimeLoadAsync(store, layout);
        Console.WriteLine($"# a week of 1-second chunks: {objectsBefore} objects, catalog loaded in {before:0} ms; compacted in {compactSeconds:0.0} s ({compaction.Merged} chunks into {compaction.Written.Count} objects, {compaction.Removed.Count} removed): {store.Count} objects, loaded in {after:0} ms");
        report.AtMost("storage.catalog.week_load_after_compaction_ms", after, before, 0.05);
    }

    private static async Task<double> TimeLoadAsync(MemoryObjectStore store, RepositoryLayout layout)
    {
        await RepositoryCatalog.LoadAsync(store, layout);
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            var catalog = await RepositoryCatalog.LoadAsync(store, layout);
            _ = catalog.Timeline(1).Component("rs0").Runs;
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }

    private static async Task<Sample> SampleAsync(int rate, TimeSpan duration)
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        var client = new MongoClient(emulator.ConnectionString);
        var store = new MemoryObjectStore();
        var layout = RepositoryLayout.ForDatabase("MongoDB", "bench", $"busy{rate}");
        try
        {
            var archiver = new OplogArchiver(client, store, layout, new OplogArchiverOptions
            {
                Component = "rs0",
                Timeline = 1,
                IdleFlushInterval = TimeSpan.FromMinutes(5),
            });
            using var stop = new CancellationTokenSource();
            var run = Task.Run(() => archiver.RunAsync(stop.Token));
            while (store.Puts == 0) await Task.Delay(10);
            var collection = client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
            var random = new Random(7);
            var writes = 0L;
            var puts = store.Puts;
            var stored = store.Bytes(layout.OplogRoot);
            var clock = Stopwatch.StartNew();

            // A tick every 10 ms (or every write, below 100 a second) with the writes due by then.
            while (clock.Elapsed < duration)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * rate) + 1;
                if (due > writes)
                {
                    var batch = Enumerable.Range(0, (int)(due - writes)).Select(i => new BsonDocument
                    {
                        ["_id"] = writes + i,
                        ["customer"] = $"c-{random.Next(50_000)}",
                        ["items"] = random.Next(1, 9),
                        ["total"] = Math.Round(random.NextDouble() * 1000, 2),
                        ["status"] = random.Next(3) == 0 ? "paid" : "new",
                    }).ToList();
                    await collection.InsertManyAsync(batch, new InsertManyOptions { IsOrdered = false });
                    writes = due;
                }

                await Task.Delay(rate >= 100 ? 10 : 1000 / rate);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var sampledPuts = store.Puts - puts;

            // What was written is archived before the sample ends (its uploads are counted up to here only).
            var newest = await NewestAsync(client);
            while (await ArchivedUpToAsync(store, layout) < newest) await Task.Delay(50);
            await stop.CancelAsync();
            await run;
            var storedBytes = store.Bytes(layout.OplogRoot) - stored;
            var raw = await RawOplogBytesAsync(client);
            var compaction = await OplogCompaction.RunAsync(store, layout, new CompactionSettings { OlderThan = TimeSpan.Zero, RemoveAfter = TimeSpan.Zero }, DateTimeOffset.UtcNow.AddSeconds(1));
            var compacted = compaction.Written.Sum(w => w.Range.SizeBytes);
            var entries = compaction.Written.Sum(w => (long)w.Range.EntryCount);
            return new Sample(writes, seconds, sampledPuts, storedBytes, compacted, compaction.Written.Count, entries == 0 ? 0 : (double)compacted / entries, raw.Bytes / Math.Max(1.0, raw.Entries));
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }
    }

    private static async Task<OplogTimestamp> NewestAsync(IMongoClient client)
    {
        var newest = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs").Find(FilterDefinition<BsonDocument>.Empty)
            .Sort(Builders<BsonDocument>.Sort.Descending("$natural")).Limit(1).FirstAsync();
        var ts = newest["ts"].AsBsonTimestamp;
        return new OplogTimestamp((uint)ts.Timestamp, (uint)ts.Increment);
    }

    private static async Task<OplogTimestamp> ArchivedUpToAsync(MemoryObjectStore store, RepositoryLayout layout)
    {
        var history = (await RepositoryCatalog.LoadAsync(store, layout)).Timeline(1).Component("rs0");
        return history.Runs.Count == 0 ? OplogTimestamp.Zero : history.Runs[^1].End;
    }

    /// <summary>The insert entries' size as the server keeps them (what WAL-G's 16 MiB counts), averaged.</summary>
    private static async Task<(long Bytes, long Entries)> RawOplogBytesAsync(IMongoClient client)
    {
        var bytes = 0L;
        var count = 0L;
        using var cursor = await client.GetDatabase("local").GetCollection<RawBsonDocument>("oplog.rs")
            .FindAsync(new BsonDocument { ["op"] = "i", ["ns"] = "shop.orders" });
        while (await cursor.MoveNextAsync())
        {
            foreach (var entry in cursor.Current)
            {
                bytes += entry.Slice.Length;
                count++;
            }
        }

        return (bytes, count);
    }

    private sealed record Sample(long Writes, double Seconds, long Puts, long StoredBytes, long CompactedBytes, int CompactedObjects, double CompactedBytesPerWrite, double RawBytesPerWrite);
}
