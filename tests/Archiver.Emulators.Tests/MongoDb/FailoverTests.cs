using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>Step-down and step-up across emulated members that share one data set and oplog.</summary>
[Trait("Target", "EmulatorOnly")]
public sealed class FailoverTests
{
    [EmulatorOnlyFact]
    public async Task A_stepped_down_primary_refuses_writes_with_NotWritablePrimary_and_says_so_in_hello()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 2, PeriodicNoopInterval = null });
        var direct = TestClients.Create($"mongodb://{session.Emulator.Hosts[0]}/?directConnection=true", s => s.RetryWrites = false);
        try
        {
            session.Emulator.StepDown();
            var hello = await direct.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
            var error = await Assert.ThrowsAnyAsync<MongoException>(() =>
                direct.GetDatabase("d").RunCommandAsync<BsonDocument>(new BsonDocument { { "insert", "c" }, { "documents", new BsonArray { new BsonDocument("_id", 1) } } }));

            Assert.False(hello["isWritablePrimary"].AsBoolean);
            Assert.True(hello["secondary"].AsBoolean);
            Assert.Equal(10107, Assert.IsAssignableFrom<MongoCommandException>(error).Code);
        }
        finally
        {
            TestClients.Dispose(direct);
        }
    }

    [EmulatorOnlyFact]
    public async Task After_a_failover_the_driver_writes_to_the_new_primary_which_has_the_same_data_and_oplog()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 2, PeriodicNoopInterval = null });
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 1));
        var lastBefore = session.Emulator.LastAppliedTimestamp;
        var term = session.Emulator.Term;

        session.Emulator.StepDown();
        session.Emulator.StepUp(1);
        await coll.InsertOneAsync(new BsonDocument("_id", 2));
        var hello = await session.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
        var newer = await OplogReader.Oplog(session.Client).Find(new BsonDocument("ts", new BsonDocument("$gt", lastBefore))).ToListAsync();

        Assert.Equal(1, session.Emulator.PrimaryIndex);
        Assert.Equal(session.Emulator.Hosts[1], hello["me"].AsString);
        Assert.Equal(2, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Equal(new BsonDocument("msg", "new primary"), newer[0]["o"]);
        Assert.All(newer, e => Assert.Equal(term + 1, e["t"].AsInt64));
        Assert.Equal("i", newer[1]["op"].AsString);
    }

    [EmulatorOnlyFact]
    public async Task A_write_waiting_for_a_primary_succeeds_once_another_member_steps_up()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 3, PeriodicNoopInterval = null });
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 1));

        session.Emulator.StepDown();
        var stepUp = Task.Run(async () =>
        {
            await Task.Delay(500);
            session.Emulator.StepUp(2);
        });
        await coll.InsertOneAsync(new BsonDocument("_id", 2));
        await stepUp;

        Assert.Equal(2, session.Emulator.PrimaryIndex);
        Assert.Equal(2, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [EmulatorOnlyFact]
    public async Task Tailing_resumed_on_the_new_primary_from_the_last_seen_ts_misses_and_repeats_nothing()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 2, PeriodicNoopInterval = null });
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        var start = session.Emulator.LastAppliedTimestamp;
        var seen = new List<BsonDocument>();
        await coll.InsertManyAsync(Enumerable.Range(0, 5).Select(i => new BsonDocument("_id", i)));
        seen.AddRange(await TailOnceAsync(session.Client, start));

        session.Emulator.StepDown();
        session.Emulator.StepUp(1);
        await coll.InsertManyAsync(Enumerable.Range(5, 5).Select(i => new BsonDocument("_id", i)));
        seen.AddRange(await TailOnceAsync(session.Client, seen[^1]["ts"].AsBsonTimestamp));
        var expected = session.Emulator.ReadOplog().Where(e => e["ts"].AsBsonTimestamp.CompareTo(start) > 0).ToList();

        Assert.Equal(expected.Select(e => e["ts"]), seen.Select(e => e["ts"]));
        Assert.Equal(10, seen.Count(e => e["op"] == "i"));
    }

    private static async Task<List<BsonDocument>> TailOnceAsync(IMongoClient client, BsonTimestamp after)
    {
        using var cursor = await OplogReader.Oplog(client).FindAsync(
            new BsonDocument("ts", new BsonDocument("$gt", after)),
            new FindOptions<BsonDocument> { CursorType = CursorType.TailableAwait, MaxAwaitTime = TimeSpan.FromMilliseconds(100) });
        var entries = new List<BsonDocument>();
        while (await cursor.MoveNextAsync() && cursor.Current.Any())
        {
            entries.AddRange(cursor.Current);
        }

        return entries;
    }
}
