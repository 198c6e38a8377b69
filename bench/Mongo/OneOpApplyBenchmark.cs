extern alias mongodriver;

using System.Diagnostics;
using Archiver.Mongo.Restore;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The whole restore (plan, base load, replay to the target) against the anchors' way of applying the same history
/// on the same kind of server: the same base loaded by the same code, then every entry alone in its own
/// <c>applyOps</c> (<see cref="OneOpApplier"/>). Each side restores into a fresh emulated replica set; both must end
/// with the same dbHash as the source.
/// </summary>
internal static class OneOpApplyBenchmark
{
    private const string Database = "pitr";
    private const int BaseDocuments = 10_000;

    // Bulk writes of mixed single-document ops: each op is one oplog entry (an update's is a $v:2 diff).
    private const int MixBatches = 25;
    private const int MixBatchSize = 1000;
    private const int Transactions = 300;

    // Paired rounds judged by the median ratio (see PairedRounds).
    private const int Rounds = 3;

    // applyOps commands of one no-op each, timed to tell a command's own cost from an op's.
    private const int NoopSample = 5000;

    public static async Task RunAsync(IMongoClient source, BenchFolder folder, BenchReport report)
    {
        var history = await ArchivedHistory.RecordAsync(source, folder, Database, WriteBaseAsync, WriteMixAsync);
        var expected = await FreshTarget.HashAsync(source, Database);
        var ours = new List<(double Load, double Total)>();
        var theirs = new List<(double Load, double Total)>();
        var commands = new List<double>();
        long entries = 0;
        var (value, reference, rounds) = await PairedRounds.MedianAsync(
            Rounds,
            async () =>
            {
                await using var target = await FreshTarget.StartAsync();
                var phases = new PhaseClock();
                var restored = await new RestoreExecutor(history.Store, history.Layout, target.Client).RunAsync(history.Target, phases);
                var seconds = phases.Watch.Elapsed.TotalSeconds;
                ours.Add((phases.ReplayStarted.TotalSeconds, seconds));
                entries = restored.EntriesReplayed;
                await CheckAsync(target.Client, expected, "the restore");
                return restored.EntriesReplayed / seconds;
            },
            async () =>
            {
                await using var target = await FreshTarget.StartAsync();
                var watch = Stopwatch.StartNew();
                await new RestoreExecutor(history.Store, history.Layout, target.Client).RunAsync(history.BaseOnly);
                var load = watch.Elapsed.TotalSeconds;
                var applied = await OneOpApplier.ApplyAsync(target.Client, history);
                var seconds = watch.Elapsed.TotalSeconds;
                theirs.Add((load, seconds));
                await CheckAsync(target.Client, expected, "the one-op apply");
                commands.Add(await EmptyCommandSecondsAsync(target.Client, NoopSample) / NoopSample);
                return applied / seconds;
            });

        var (ourLoad, ourTotal) = Median(ours);
        var (theirLoad, theirTotal) = Median(theirs);
        Console.WriteLine(
            $"# restore vs one-op apply: base {BaseDocuments} documents, {entries} entries after it ({history.Plan.ChunkCount} chunks); median of {rounds} paired rounds: " +
            $"restore {value:0} entries/s, one op per applyOps {reference:0} entries/s (whole restore, base load included on both sides)");
        Console.WriteLine(
            $"# restore phases (medians): ours base {ourLoad:0.00} s + replay {ourTotal - ourLoad:0.00} s ({entries / (ourTotal - ourLoad):0} entries/s); " +
            $"one-op base {theirLoad:0.00} s + apply {theirTotal - theirLoad:0.00} s ({entries / (theirTotal - theirLoad):0} entries/s); replay alone {(theirTotal - theirLoad) / (ourTotal - ourLoad):0.0}x");
        // Where the one-op side's time goes: a command that changes nothing is the server's cost of a command alone (wire,
        // dispatch, reply; median of the rounds); the rest is applying the entry in a command of its own. Batching removes
        // the first and part of the second too (parsing, locking and logging once per batch), so our replay per entry can
        // be below the one-op side's "applying": the split says where the time goes, not a bound.
        var command = commands.Order().ElementAt(commands.Count / 2);
        var oneOp = (theirTotal - theirLoad) / entries;
        var replay = (ourTotal - ourLoad) / entries;
        Console.WriteLine(
            $"# per entry: one-op {oneOp * 1e6:0} us = command alone {command * 1e6:0} us + applying in its own command {(oneOp - command) * 1e6:0} us; " +
            $"our replay {replay * 1e6:0} us, {oneOp / replay:0.0}x less");
        report.AtLeast("mongo.restore.vs_one_op_apply", value, reference, 10);
    }

    /// <summary>Measured on the one-op side's target right after its apply (outside its time), so both see the same machine.</summary>
    private static async Task<double> EmptyCommandSecondsAsync(IMongoClient target, int commands)
    {
        var admin = target.GetDatabase("admin");
        var noop = new BsonDocument("applyOps", new BsonArray { new BsonDocument { { "op", "n" }, { "ns", "" }, { "o", new BsonDocument("msg", "bench") } } });
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < commands; i++)
        {
            await admin.RunCommandAsync<BsonDocument>(noop);
        }

        return watch.Elapsed.TotalSeconds;
    }

    private static (double Load, double Total) Median(List<(double Load, double Total)> runs) => runs.OrderBy(r => r.Total).ElementAt(runs.Count / 2);

    private static async Task CheckAsync(IMongoClient target, string expected, string side)
    {
        var hash = await FreshTarget.HashAsync(target, Database);
        if (hash != expected)
        {
            throw new InvalidOperationException($"After {side} the target's dbHash differs from the source's: {hash} against {expected}.");
        }
    }

    private static async Task WriteBaseAsync(IMongoDatabase db)
    {
        var orders = db.GetCollection<BsonDocument>("orders");
        await orders.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("customer", 1), new CreateIndexOptions { Name = "by_customer" }));
        for (var i = 0; i < BaseDocuments; i += 1000)
        {
            await orders.InsertManyAsync(Enumerable.Range(i, 1000).Select(Order));
        }
    }

    /// <summary>About half updates ($set and $inc on a few fields), a third inserts, the rest deletes, then transactions of 2–4 ops.</summary>
    private static async Task WriteMixAsync(IMongoClient client, IMongoDatabase db)
    {
        var orders = db.GetCollection<BsonDocument>("orders");
        var random = new Random(14);
        var next = BaseDocuments;
        for (var b = 0; b < MixBatches; b++)
        {
            var models = new List<WriteModel<BsonDocument>>(MixBatchSize);
            for (var i = 0; i < MixBatchSize; i++)
            {
                var id = random.Next(next);
                models.Add(random.Next(10) switch
                {
                    < 5 => new UpdateOneModel<BsonDocument>(
                        new BsonDocument("_id", id),
                        new BsonDocument { { "$set", new BsonDocument { { "status", Statuses[random.Next(Statuses.Length)] }, { "updatedAt", DateTime.UtcNow } } }, { "$inc", new BsonDocument("qty", 1) } }),
                    < 8 => new InsertOneModel<BsonDocument>(Order(next++)),
                    _ => new DeleteOneModel<BsonDocument>(new BsonDocument("_id", id)),
                });
            }

            await orders.BulkWriteAsync(models, new BulkWriteOptions { IsOrdered = true });
        }

        for (var t = 0; t < Transactions; t++)
        {
            using var session = await client.StartSessionAsync();
            session.StartTransaction();
            await orders.InsertOneAsync(session, Order(next++));
            for (var i = 0; i < 1 + (t % 3); i++)
            {
                await orders.UpdateOneAsync(session, new BsonDocument("_id", random.Next(next)), new BsonDocument("$set", new BsonDocument("status", "paid")));
            }

            await session.CommitTransactionAsync();
        }
    }

    private static readonly string[] Statuses = ["new", "paid", "packed", "shipped", "delivered", "returned"];

    /// <summary>An order of ordinary shape and size (about 350 bytes of BSON).</summary>
    private static BsonDocument Order(int n) => new()
    {
        { "_id", n },
        { "customer", $"customer-{n % 2003:D5}" },
        { "sku", $"sku-{n % 977:D4}" },
        { "qty", n % 13 },
        { "price", Math.Round(3.5 + (n % 400) * 0.25, 2) },
        { "status", "new" },
        { "tags", new BsonArray { "web", n % 2 == 0 ? "promo" : "regular" } },
        { "shipTo", new BsonDocument { { "street", $"{n % 300} Harbour Road" }, { "city", "Lisbon" }, { "zip", $"{1000 + n % 900}-{n % 1000:D3}" } } },
        { "createdAt", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(n) },
        { "note", "leave at the door if nobody answers" },
    };

    /// <summary>Records, as it happens (not through a posted Progress), when the restore's replay phase began.</summary>
    private sealed class PhaseClock : IProgress<RestoreProgress>
    {
        public Stopwatch Watch { get; } = Stopwatch.StartNew();

        public TimeSpan ReplayStarted { get; private set; }

        public void Report(RestoreProgress value)
        {
            if (value.Phase == RestorePhase.ReplayingOplog && ReplayStarted == TimeSpan.Zero)
            {
                ReplayStarted = Watch.Elapsed;
            }
        }
    }
}
