using System.Diagnostics;
using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

public sealed class TailingTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    [Fact]
    public async Task A_tailable_await_cursor_delivers_writes_made_after_it_was_opened()
    {
        var db = target.NewDatabase("tail");
        var coll = db.GetCollection<BsonDocument>("c");
        var ns = $"{db.DatabaseNamespace.DatabaseName}.c";
        var start = await OplogReader.NewestTimestampAsync(target.Client);
        using var cursor = await OplogReader.Oplog(target.Client).FindAsync(
            new BsonDocument("ts", new BsonDocument("$gt", start)),
            new FindOptions<BsonDocument> { CursorType = CursorType.TailableAwait, MaxAwaitTime = TimeSpan.FromMilliseconds(200) });

        var writer = Task.Run(async () =>
        {
            await Task.Delay(300);
            await coll.InsertOneAsync(new BsonDocument("_id", "late"));
        });
        var found = await NextEntryForAsync(cursor, ns, TimeSpan.FromSeconds(5));
        await writer;

        Assert.NotNull(found);
        Assert.Equal("late", found["o"]["_id"].AsString);
    }

    [Fact]
    public async Task An_idle_getMore_waits_for_maxTimeMS_and_returns_an_empty_batch_with_the_cursor_still_open()
    {
        var db = target.NewDatabase("idle");
        var ns = $"{db.DatabaseNamespace.DatabaseName}.c";
        var start = await OplogReader.NewestTimestampAsync(target.Client);
        using var cursor = await OplogReader.Oplog(target.Client).FindAsync(
            new BsonDocument { { "ts", new BsonDocument("$gt", start) }, { "ns", ns } },
            new FindOptions<BsonDocument> { CursorType = CursorType.TailableAwait, MaxAwaitTime = TimeSpan.FromMilliseconds(300) });
        Assert.True(await cursor.MoveNextAsync());
        Assert.Empty(cursor.Current);

        var clock = Stopwatch.StartNew();
        var more = await cursor.MoveNextAsync();
        var waited = clock.Elapsed;
        var idleBatch = cursor.Current.ToList();
        await db.GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));
        var found = await NextEntryForAsync(cursor, ns, TimeSpan.FromSeconds(5));

        Assert.True(more);
        Assert.Empty(idleBatch);
        Assert.True(waited >= TimeSpan.FromMilliseconds(250), $"getMore returned after {waited.TotalMilliseconds} ms");
        Assert.NotNull(found);
    }

    [Fact]
    public async Task A_plain_oplog_query_honours_ts_ranges_filters_projection_and_reverse_natural_order()
    {
        var db = target.NewDatabase("oprange");
        var coll = db.GetCollection<BsonDocument>("c");
        await db.CreateCollectionAsync("c");
        var start = await OplogReader.NewestTimestampAsync(target.Client);
        for (var i = 0; i < 5; i++)
        {
            await coll.InsertOneAsync(new BsonDocument("_id", i));
        }

        var mine = await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName);
        var ns = $"{db.DatabaseNamespace.DatabaseName}.c";
        var filter = new BsonDocument
        {
            { "ts", new BsonDocument { { "$gt", mine[0]["ts"] }, { "$lte", mine[3]["ts"] } } },
            { "ns", ns },
        };
        var forward = await OplogReader.Oplog(target.Client).Find(filter).Project(new BsonDocument { { "ts", 1 }, { "op", 1 } }).ToListAsync();
        var backward = await OplogReader.Oplog(target.Client).Find(filter).Sort(new BsonDocument("$natural", -1)).Limit(2).ToListAsync();

        Assert.Equal([mine[1]["ts"], mine[2]["ts"], mine[3]["ts"]], forward.Select(e => e["ts"]));
        Assert.All(forward, e => Assert.Equal(["op", "ts"], e.Names.Order(StringComparer.Ordinal)));
        Assert.Equal([mine[3]["ts"], mine[2]["ts"]], backward.Select(e => e["ts"]));
    }

    [EmulatorOnlyFact]
    [Trait("Target", "EmulatorOnly")]
    public async Task An_idle_primary_writes_a_periodic_noop_on_each_tick_without_writes()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        var client = TestClients.Create(emulator.ConnectionString);
        try
        {
            await client.GetDatabase("d").GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));
            var before = emulator.ReadOplog().Count;

            emulator.TickPeriodicNoop();
            var afterWriteTick = emulator.ReadOplog().Count;
            emulator.TickPeriodicNoop();
            emulator.TickPeriodicNoop();
            var oplog = emulator.ReadOplog();

            Assert.Equal(before, afterWriteTick);
            Assert.Equal(before + 2, oplog.Count);
            var noop = oplog[^1];
            Assert.Equal("n", noop["op"].AsString);
            Assert.Equal(string.Empty, noop["ns"].AsString);
            Assert.Equal(new BsonDocument("msg", "periodic noop"), noop["o"]);
            Assert.Equal(new BsonInt64(2), noop["v"]);
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    [EmulatorOnlyFact]
    [Trait("Target", "EmulatorOnly")]
    public async Task The_noop_writer_runs_on_its_own_interval()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = TimeSpan.FromMilliseconds(100) });

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (CountNoops(emulator) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(CountNoops(emulator) >= 2);
    }

    private static int CountNoops(MongoEmulator emulator) =>
        emulator.ReadOplog().Count(e => e["o"].AsBsonDocument.GetValue("msg", "") == "periodic noop");

    private static async Task<BsonDocument?> NextEntryForAsync(IAsyncCursor<BsonDocument> cursor, string ns, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && await cursor.MoveNextAsync())
        {
            var match = cursor.Current.FirstOrDefault(e => e["ns"] == ns);
            if (match is not null)
            {
                return match;
            }
        }

        return null;
    }
}
