extern alias mongodriver;

using System.Diagnostics;
using Archiver.Mongo;
using Archiver.Mongo.Archiving;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The archiver taking a backlog of oplog entries (majority check, raw copy, chunking, zstd, atomic publish to a
/// local folder) against a bare tailable cursor draining the same entries and doing nothing with them.
/// </summary>
internal static class IngestBenchmark
{
    private const int Entries = 100_000;
    // Paired rounds judged by the median ratio (see PairedRounds); each side takes about a second.
    private const int Rounds = 7;

    public static async Task<ArchivedChunks> RunAsync(IMongoClient client, BenchFolder folder, BenchReport report)
    {
        var start = await NewestAsync(client);
        var items = client.GetDatabase("bench").GetCollection<BsonDocument>("ingest");
        for (var i = 0; i < Entries; i += 1000)
        {
            await items.InsertManyAsync(Enumerable.Range(i, 1000).Select(n => new BsonDocument { { "_id", n }, { "sku", $"sku-{n % 977}" }, { "qty", n % 13 }, { "note", "an order line of ordinary size" } }));
        }

        var last = await NewestAsync(client);
        ArchivedChunks? chunks = null;
        var (archive, drain, rounds) = await PairedRounds.MedianAsync(
            Rounds,
            async () =>
            {
                var (seconds, archived) = await ArchiveAsync(client, folder, start, last);
                chunks = archived;
                return Entries / seconds;
            },
            async () => Entries / await DrainAsync(client, start, last));

        Console.WriteLine($"# ingest: {Entries} entries; median of {rounds} paired rounds: bare drain {drain:0} entries/s, archiver {archive:0} entries/s");
        report.AtLeast("mongo.archiver.ingest_entries_s", archive, drain, 0.9);
        return chunks!;
    }

    private static async Task<double> DrainAsync(IMongoClient client, OplogTimestamp start, OplogTimestamp last)
    {
        var watch = Stopwatch.StartNew();
        var filter = new BsonDocument("ts", new BsonDocument("$gt", OplogFields.ToBson(start)));
        using var cursor = await client.GetDatabase("local").GetCollection<RawBsonDocument>("oplog.rs").FindAsync(
            filter, new FindOptions<RawBsonDocument> { CursorType = CursorType.TailableAwait, MaxAwaitTime = TimeSpan.FromMilliseconds(100) });
        var done = false;
        while (!done && await cursor.MoveNextAsync())
        {
            foreach (var document in cursor.Current)
            {
                done |= OplogFields.ToStorage(document["ts"].AsBsonTimestamp) >= last;
                document.Dispose();
            }
        }

        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<(double Seconds, ArchivedChunks Chunks)> ArchiveAsync(IMongoClient client, BenchFolder folder, OplogTimestamp start, OplogTimestamp last)
    {
        var store = new LocalFolderStore(folder.NewRepository());
        var layout = RepositoryLayout.ForDatabase("MongoDB", "bench", "ingest");
        var archiver = new OplogArchiver(client, store, layout, new OplogArchiverOptions
        {
            Component = "rs0",
            Timeline = 1,
            StartAfter = start,
            ChunkMaxAge = TimeSpan.FromMilliseconds(200),
            MaxAwaitTime = TimeSpan.FromMilliseconds(50),
        });
        using var stop = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var run = Task.Run(() => archiver.RunAsync(stop.Token));
        while (!(archiver.Status.WalSegmentEnd is { } end && end >= last))
        {
            await Task.Delay(5);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await run;
        var catalog = await RepositoryCatalog.LoadAsync(store, layout);
        var ranges = catalog.Timeline(1).Component("rs0").AllChunks().ToArray();
        var keys = ranges.Select(c => layout.ChunkKey("rs0", 1, c)).ToList();
        return (seconds, new ArchivedChunks(store, layout, keys, start, ranges.Sum(c => (long)c.EntryCount)));
    }

    private static async Task<OplogTimestamp> NewestAsync(IMongoClient client)
    {
        var newest = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync();
        return OplogFields.ToStorage(newest["ts"].AsBsonTimestamp);
    }
}
