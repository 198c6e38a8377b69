extern alias mongodriver;

using System.Diagnostics;
using Archiver.Mongo.Restore;
using Archiver.Storage.Oplog;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Bson.Serialization;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The whole restore of an insert-only history against the server's own best ingest of the same documents: unordered
/// <c>insertMany</c> batches sent by the same process, the physical limit of writing them. Each side writes into a
/// fresh emulated replica set; both must end with the same dbHash.
/// </summary>
internal static class BulkInsertBenchmark
{
    private const string Database = "bulk";
    private const int Documents = 40_000;

    // Paired rounds judged by the median ratio (see PairedRounds).
    private const int Rounds = 5;

    public static async Task RunAsync(IMongoClient source, BenchFolder folder, BenchReport report)
    {
        var history = await ArchivedHistory.RecordAsync(source, folder, Database, db => db.CreateCollectionAsync("events"), WriteAsync);
        var documents = await DocumentsAsync(history);
        var mib = documents.Sum(d => (long)d.Slice.Length) / (1024.0 * 1024.0);
        if (documents.Count != Documents)
        {
            throw new InvalidOperationException($"The history holds {documents.Count} inserts, expected {Documents}.");
        }

        // The reference's batch: the faster of the two on this server (the driver splits what exceeds 48 MB or 100,000 documents).
        var batch = await FasterBatchAsync(documents);
        string? ours = null, theirs = null;
        var (value, reference, rounds) = await PairedRounds.MedianAsync(
            Rounds,
            async () =>
            {
                await using var target = await FreshTarget.StartAsync();
                var watch = Stopwatch.StartNew();
                var restored = await new RestoreExecutor(history.Store, history.Layout, target.Client).RunAsync(history.Target);
                var seconds = watch.Elapsed.TotalSeconds;
                if (restored.EntriesReplayed != Documents)
                {
                    throw new InvalidOperationException($"The restore replayed {restored.EntriesReplayed} entries, expected {Documents}.");
                }

                ours = await FreshTarget.HashAsync(target.Client, Database);
                return Documents / seconds;
            },
            async () =>
            {
                await using var target = await FreshTarget.StartAsync();
                var seconds = await InsertAsync(target.Client, documents, batch);
                theirs = await FreshTarget.HashAsync(target.Client, Database);
                return Documents / seconds;
            });

        if (ours != theirs)
        {
            throw new InvalidOperationException($"The restore and the insertMany ended with different dbHashes: {ours} against {theirs}.");
        }

        Console.WriteLine(
            $"# restore vs bulk insert: {Documents} inserts after an empty base ({mib:0.0} MiB of documents, {history.Plan.ChunkCount} chunks); median of {rounds} paired rounds: " +
            $"restore {value:0} documents/s ({value * mib / Documents:0.0} MiB/s), unordered insertMany of {batch} {reference:0} documents/s ({reference * mib / Documents:0.0} MiB/s)");
        report.AtLeast("mongo.restore.vs_bulk_insert", value, reference, 0.7);
    }

    /// <summary>Events of about 1 KiB: a few scalar fields, a nested context and a payload string.</summary>
    private static async Task WriteAsync(IMongoClient client, IMongoDatabase db)
    {
        var events = db.GetCollection<BsonDocument>("events");
        for (var i = 0; i < Documents; i += 1000)
        {
            await events.InsertManyAsync(Enumerable.Range(i, 1000).Select(n => new BsonDocument
            {
                { "_id", n },
                { "kind", $"kind-{n % 17}" },
                { "at", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(n * 37) },
                { "device", new BsonDocument { { "id", $"dev-{n % 5003:D5}" }, { "fw", "4.2.17" }, { "site", $"site-{n % 61}" } } },
                { "value", n * 0.125 },
                { "payload", new string((char)('a' + (n % 26)), 800) },
            }), new InsertManyOptions { IsOrdered = false });
        }
    }

    /// <summary>The inserted documents as the history holds them, in order, read out of the plan's chunks.</summary>
    private static async Task<List<RawBsonDocument>> DocumentsAsync(ArchivedHistory history)
    {
        var documents = new List<RawBsonDocument>(Documents);
        using var reader = new OplogChunkReader(history.Store);
        foreach (var key in history.Plan.Segments.SelectMany(s => s.Chunks).Select(c => c.Key))
        {
            foreach (var entry in (await reader.ReadAsync(key)).Entries)
            {
                if (entry.Ts <= history.Plan.BaseBackup.ConsistentAt)
                {
                    continue;
                }

                var op = BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray());
                if (op["op"].AsString == "i")
                {
                    documents.Add(new RawBsonDocument(op["o"].AsBsonDocument.ToBson()));
                }
            }
        }

        return documents;
    }

    private static async Task<int> FasterBatchAsync(List<RawBsonDocument> documents)
    {
        var best = (Batch: 0, Seconds: double.MaxValue);
        foreach (var batch in new[] { 1000, 10_000 })
        {
            await using var target = await FreshTarget.StartAsync();
            var seconds = await InsertAsync(target.Client, documents, batch);
            best = seconds < best.Seconds ? (batch, seconds) : best;
        }

        return best.Batch;
    }

    private static async Task<double> InsertAsync(IMongoClient target, List<RawBsonDocument> documents, int batch)
    {
        var events = target.GetDatabase(Database).GetCollection<RawBsonDocument>("events");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < documents.Count; i += batch)
        {
            await events.InsertManyAsync(documents.Skip(i).Take(batch), new InsertManyOptions { IsOrdered = false });
        }

        return watch.Elapsed.TotalSeconds;
    }
}
