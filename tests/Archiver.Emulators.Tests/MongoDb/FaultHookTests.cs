using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>The emulator's fault hooks: majority commit point, rollback, capture, dropped connections.</summary>
[Trait("Target", "EmulatorOnly")]
public sealed class FaultHookTests
{
    [EmulatorOnlyFact]
    public async Task A_held_majority_point_shows_in_hello_and_replSetGetStatus_until_released()
    {
        await using var session = await EmulatorSession.StartAsync();
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 1));
        session.Emulator.HoldMajorityCommitPoint();
        var held = session.Emulator.MajorityCommitTimestamp;

        await coll.InsertOneAsync(new BsonDocument("_id", 2));
        var hello = await HelloAsync(session.Client);
        var status = await session.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1));
        session.Emulator.ReleaseMajorityCommitPoint();
        var released = await HelloAsync(session.Client);

        Assert.Equal(held, hello["lastWrite"]["majorityOpTime"]["ts"].AsBsonTimestamp);
        Assert.True(hello["lastWrite"]["opTime"]["ts"].AsBsonTimestamp.CompareTo(held) > 0);
        Assert.Equal(held, status["optimes"]["lastCommittedOpTime"]["ts"].AsBsonTimestamp);
        Assert.Equal(released["lastWrite"]["opTime"], released["lastWrite"]["majorityOpTime"]);
    }

    [EmulatorOnlyFact]
    public async Task A_rollback_undoes_data_and_oplog_after_the_majority_point_and_moves_the_term_on()
    {
        await using var session = await EmulatorSession.StartAsync();
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "v", 1 } });
        session.Emulator.HoldMajorityCommitPoint();
        var majority = session.Emulator.MajorityCommitTimestamp;
        var term = session.Emulator.Term;
        var before = session.Emulator.CaptureData();

        await coll.InsertOneAsync(new BsonDocument("_id", 2));
        await coll.UpdateOneAsync(new BsonDocument("_id", 1), Builders<BsonDocument>.Update.Set("v", 2));
        var rolledBack = session.Emulator.RollBackToMajorityCommitPoint();
        var afterRollback = session.Emulator.CaptureData();
        await coll.InsertOneAsync(new BsonDocument("_id", 3));
        var oplog = session.Emulator.ReadOplog();

        Assert.Equal(2, rolledBack);
        Assert.Equal(term + 1, session.Emulator.Term);
        Assert.Empty(before.DifferencesFrom(afterRollback));
        Assert.Equal(majority, afterRollback.At);
        Assert.Equal([1, 3], (await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()).Select(d => d["_id"].AsInt32));
        Assert.Equal(1, (await coll.Find(new BsonDocument("_id", 1)).SingleAsync())["v"].AsInt32);
        var after = oplog.Where(e => e["ts"].AsBsonTimestamp.CompareTo(majority) > 0).ToList();
        Assert.Single(after);
        Assert.Equal(term + 1, after[0]["t"].AsInt64);
    }

    [EmulatorOnlyFact]
    public async Task A_capture_is_a_deep_copy_that_later_writes_do_not_change()
    {
        await using var session = await EmulatorSession.StartAsync();
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "v", 1 } });

        var first = session.Emulator.CaptureData();
        await coll.UpdateOneAsync(new BsonDocument("_id", 1), Builders<BsonDocument>.Update.Set("v", 2));
        var second = session.Emulator.CaptureData();

        Assert.Equal(new BsonDocument { { "_id", 1 }, { "v", 1 } }, first.Databases["d"]["c"][0]);
        Assert.False(first.Databases.ContainsKey("local"));
        Assert.Single(first.DifferencesFrom(second));
        Assert.Empty(second.DifferencesFrom(session.Emulator.CaptureData()));
        Assert.True(second.At.CompareTo(first.At) > 0);
    }

    [EmulatorOnlyFact]
    public async Task After_all_connections_are_killed_a_retried_write_is_applied_once()
    {
        await using var session = await EmulatorSession.StartAsync();
        var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 1));

        session.Emulator.KillAllConnections();
        await coll.InsertOneAsync(new BsonDocument("_id", 2));
        await coll.UpdateOneAsync(new BsonDocument("_id", 2), Builders<BsonDocument>.Update.Inc("n", 1));

        Assert.Equal(1, (await coll.Find(new BsonDocument("_id", 2)).SingleAsync())["n"].AsInt32);
    }

    private static Task<BsonDocument> HelloAsync(IMongoClient client) =>
        client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
}
