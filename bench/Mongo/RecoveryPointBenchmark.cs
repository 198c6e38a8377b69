extern alias mongodriver;

using System.Collections.Concurrent;
using System.Diagnostics;
using Archiver.Mongo;
using Archiver.Mongo.Archiving;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The recovery point under a sustained write rate: for every entry, the time its chunk was durable in the
/// repository (the put returned) minus its <c>wall</c>; the p99 must stay within 1.5 s with the default 1 s cut.
/// The writer aims at 20,000 inserts/s; the achieved rate is printed beside the figure.
/// </summary>
internal static class RecoveryPointBenchmark
{
    private const int TargetRate = 20_000;
    private const int Seconds = 10;
    private const int Batch = 200;

    public static async Task RunAsync(IMongoClient client, BenchReport report)
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "archiver-bench-rpo", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var store = new TimedStore(new LocalFolderStore(root));
            var layout = RepositoryLayout.ForDatabase("MongoDB", "bench", "rpo");
            var start = OplogFields.ToStorage((await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
                .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync())["ts"].AsBsonTimestamp);
            var archiver = new OplogArchiver(client, store, layout, new OplogArchiverOptions { Component = "rs0", Timeline = 1, StartAfter = start });
            using var stop = new CancellationTokenSource();
            var run = Task.Run(() => archiver.RunAsync(stop.Token));
            var written = await WriteAsync(client);
            var last = archiver.Status.WalSegmentEnd;
            var newest = OplogFields.ToStorage((await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
                .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync())["ts"].AsBsonTimestamp);
            while (!(archiver.Status.WalSegmentEnd is { } end && end >= newest))
            {
                await Task.Delay(10);
            }

            await stop.CancelAsync();
            await run;
            var latencies = await LatenciesAsync(store);
            latencies.Sort();
            var p99 = latencies[(int)(latencies.Count * 0.99)] / 1000.0;
            var p50 = latencies[latencies.Count / 2] / 1000.0;
            Console.WriteLine($"# recovery point: aimed at {TargetRate} writes/s, achieved {written:0} writes/s over {Seconds} s; {latencies.Count} entries; p50 {p50:0.000} s, p99 {p99:0.000} s (last status {last})");
            report.WithinBudget("mongo.archiver.rpo_p99_s", p99, 1.5, 1.5, "s");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Inserts in batches paced to the target rate; returns the rate achieved.</summary>
    private static async Task<double> WriteAsync(IMongoClient client)
    {
        var items = client.GetDatabase("bench").GetCollection<BsonDocument>("rpo");
        var watch = Stopwatch.StartNew();
        var count = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(Seconds))
        {
            await items.InsertManyAsync(Enumerable.Range(count, Batch).Select(n => new BsonDocument { { "_id", n }, { "sku", $"sku-{n % 977}" }, { "qty", n % 13 } }));
            count += Batch;
            var due = TimeSpan.FromSeconds((double)count / TargetRate);
            if (due > watch.Elapsed)
            {
                await Task.Delay(due - watch.Elapsed);
            }
        }

        return count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<List<long>> LatenciesAsync(TimedStore store)
    {
        var latencies = new List<long>();
        using var reader = new OplogChunkReader(store.Inner);
        foreach (var (key, durable) in store.Durable)
        {
            if (!key.EndsWith(".oplog", StringComparison.Ordinal))
            {
                continue;
            }

            var chunk = await reader.ReadAsync(key);
            latencies.AddRange(chunk.Entries.Select(e => durable - e.WallUnixMs));
        }

        return latencies;
    }

    /// <summary>Records when each put returned: the moment the chunk was durable.</summary>
    private sealed class TimedStore(IObjectStore inner) : IObjectStore
    {
        public IObjectStore Inner => inner;

        public ConcurrentDictionary<string, long> Durable { get; } = new();

        public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            await inner.PutAsync(key, content, cancellationToken);
            Durable[key] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        }

        public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) => inner.PutIfAbsentAsync(key, content, cancellationToken);

        public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

        public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default) =>
            inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }
}
