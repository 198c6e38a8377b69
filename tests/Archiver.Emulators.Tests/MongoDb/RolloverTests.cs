using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>A capped oplog rolling over (MONGODB-OPLOG.md §6). Needs a tiny oplog, hence the emulator.</summary>
[Trait("Target", "EmulatorOnly")]
public sealed class RolloverTests
{
    [EmulatorOnlyFact]
    public async Task The_oplog_stays_under_its_cap_by_dropping_the_oldest_entries()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 20_000 });

        await WriteAsync(session.Client, 100);
        var oplog = session.Emulator.ReadOplog();

        Assert.True(oplog.Sum(e => e.ToBson().Length) <= 20_000);
        Assert.Equal(session.Emulator.LastAppliedTimestamp, oplog[^1]["ts"].AsBsonTimestamp);
        Assert.NotEqual("initiating set", oplog[0]["o"].AsBsonDocument.GetValue("msg", "").AsString);
    }

    [EmulatorOnlyFact]
    public async Task A_tailing_cursor_whose_position_rolled_off_fails_with_CappedPositionLost()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 50_000 });
        await WriteAsync(session.Client, 3);
        using var cursor = await OplogReader.Oplog(session.Client).FindAsync(
            new BsonDocument("ts", new BsonDocument("$gte", new BsonTimestamp(0, 0))),
            new FindOptions<BsonDocument> { CursorType = CursorType.TailableAwait, MaxAwaitTime = TimeSpan.FromMilliseconds(100), BatchSize = 1 });
        Assert.True(await cursor.MoveNextAsync());

        await WriteAsync(session.Client, 200);
        var error = await Assert.ThrowsAnyAsync<MongoCommandException>(() => cursor.MoveNextAsync());

        Assert.Equal(136, error.Code);
        Assert.Equal("CappedPositionLost", error.CodeName);
    }

    [EmulatorOnlyFact]
    public async Task A_fresh_find_from_a_rolled_off_timestamp_silently_starts_at_the_oldest_entry()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 20_000 });
        var lost = session.Emulator.LastAppliedTimestamp;

        await WriteAsync(session.Client, 100);
        var oldest = session.Emulator.ReadOplog()[0]["ts"].AsBsonTimestamp;
        var first = await OplogReader.Oplog(session.Client).Find(new BsonDocument("ts", new BsonDocument("$gte", lost))).FirstAsync();

        Assert.True(oldest.CompareTo(lost) > 0, "the starting point must have rolled off");
        Assert.Equal(oldest, first["ts"].AsBsonTimestamp);
    }

    [EmulatorOnlyFact]
    public async Task Truncation_never_passes_a_held_majority_commit_point()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 20_000 });
        await WriteAsync(session.Client, 1);
        session.Emulator.HoldMajorityCommitPoint();
        var majority = session.Emulator.MajorityCommitTimestamp;

        await WriteAsync(session.Client, 100);
        var oldestWhileHeld = session.Emulator.ReadOplog()[0]["ts"].AsBsonTimestamp;
        session.Emulator.ReleaseMajorityCommitPoint();
        var oldestAfter = session.Emulator.ReadOplog()[0]["ts"].AsBsonTimestamp;

        Assert.True(oldestWhileHeld.CompareTo(majority) <= 0);
        Assert.True(oldestAfter.CompareTo(majority) > 0);
    }

    [EmulatorOnlyFact]
    public async Task Setting_a_smaller_oplog_size_truncates_at_once()
    {
        await using var session = await EmulatorSession.StartAsync();
        await WriteAsync(session.Client, 50);
        var before = session.Emulator.ReadOplog().Count;

        session.Emulator.OplogSizeBytes = 5_000;

        Assert.True(session.Emulator.ReadOplog().Count < before);
        Assert.Equal(5_000, session.Emulator.OplogSizeBytes);
    }

    private static async Task WriteAsync(IMongoClient client, int count)
    {
        var coll = client.GetDatabase("d").GetCollection<BsonDocument>("c");
        for (var i = 0; i < count; i++)
        {
            await coll.InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "pad", new string('p', 400) } });
        }
    }
}
