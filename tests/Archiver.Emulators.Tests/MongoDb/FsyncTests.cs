using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// fsync with and without <c>lock</c>, and fsyncUnlock, as mongod 7.0 answers them (mongodb/mongo
/// <c>src/mongo/db/commands/fsync.cpp</c>): what a volume-snapshot backup runs on a member before and after it copies
/// the member's data volume.
/// </summary>
public sealed class FsyncTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    private static readonly BsonDocument Lock = new() { { "fsync", 1 }, { "lock", true } };
    private static readonly BsonDocument Unlock = new("fsyncUnlock", 1);

    private IMongoDatabase Admin => target.Client.GetDatabase("admin");

    [Fact]
    public async Task Fsync_locks_nest_with_a_count_that_each_unlock_takes_one_off_and_an_unlock_too_many_is_IllegalOperation()
    {
        var first = await Admin.RunCommandAsync<BsonDocument>(Lock);
        var second = await Admin.RunCommandAsync<BsonDocument>(Lock);
        var lockedOps = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("currentOp", 1));
        var stillLocked = await Admin.RunCommandAsync<BsonDocument>(Unlock);
        var unlocked = await Admin.RunCommandAsync<BsonDocument>(Unlock);
        var freeOps = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("currentOp", 1));
        var tooMany = await Assert.ThrowsAsync<MongoCommandException>(() => Admin.RunCommandAsync<BsonDocument>(Unlock));

        Assert.Equal("now locked against writes, use db.fsyncUnlock() to unlock", first["info"].AsString);
        Assert.Equal(new BsonInt64(1), first["lockCount"]);
        Assert.Equal("http://dochub.mongodb.org/core/fsynccommand", first["seeAlso"].AsString);
        Assert.Equal(new BsonInt64(2), second["lockCount"]);
        Assert.True(lockedOps["fsyncLock"].AsBoolean);
        Assert.Equal("fsyncUnlock completed", stillLocked["info"].AsString);
        Assert.Equal(new BsonInt64(1), stillLocked["lockCount"]);
        Assert.Equal(new BsonInt64(0), unlocked["lockCount"]);
        Assert.False(freeOps.Contains("fsyncLock"));
        Assert.Equal((20, "IllegalOperation", "fsyncUnlock called when not locked"), (tooMany.Code, tooMany.CodeName, tooMany.ErrorMessage));
    }

    [Fact]
    public async Task Fsync_without_lock_answers_numFiles_and_both_commands_are_refused_outside_admin_and_inside_a_transaction()
    {
        var flushed = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("fsync", 1));
        var other = target.NewDatabase("fsync");
        var elsewhere = await Assert.ThrowsAsync<MongoCommandException>(() => other.RunCommandAsync<BsonDocument>(Lock));
        var unlockElsewhere = await Assert.ThrowsAsync<MongoCommandException>(() => other.RunCommandAsync<BsonDocument>(Unlock));
        using var session = await target.Client.StartSessionAsync();
        session.StartTransaction();
        var inTransaction = await Assert.ThrowsAsync<MongoCommandException>(() => Admin.RunCommandAsync<BsonDocument>(session, Lock));
        var stillFree = await Admin.RunCommandAsync<BsonDocument>(new BsonDocument("currentOp", 1));

        Assert.Equal(1, flushed["numFiles"].ToInt32());
        Assert.False(flushed.Contains("lockCount"));
        Assert.Equal((13, "fsync may only be run against the admin database."), (elsewhere.Code, elsewhere.ErrorMessage));
        Assert.Equal((13, "fsyncUnlock may only be run against the admin database."), (unlockElsewhere.Code, unlockElsewhere.ErrorMessage));
        Assert.Equal((263, "Cannot run 'fsync' in a multi-document transaction."), (inTransaction.Code, inTransaction.ErrorMessage));
        Assert.False(stillFree.Contains("fsyncLock"));
    }

    [Fact]
    public async Task A_write_on_a_locked_primary_waits_while_reads_go_on_and_completes_after_the_last_unlock()
    {
        var coll = target.NewDatabase("fsyncw").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 0));
        await Admin.RunCommandAsync<BsonDocument>(Lock);
        await Admin.RunCommandAsync<BsonDocument>(Lock);
        Task write;
        try
        {
            write = coll.InsertOneAsync(new BsonDocument("_id", 1));
            var read = await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
            await Task.Delay(300);
            var waitedWhileLocked = !write.IsCompleted;
            await Admin.RunCommandAsync<BsonDocument>(Unlock);
            await Task.Delay(300);
            var waitedForLastUnlock = !write.IsCompleted;

            Assert.Single(read);
            Assert.True(waitedWhileLocked, "the insert completed on a locked primary");
            Assert.True(waitedForLastUnlock, "the insert completed while one lock was still held");
        }
        finally
        {
            await Admin.RunCommandAsync<BsonDocument>(Unlock);
        }

        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_write_with_maxTimeMS_on_a_locked_primary_fails_with_MaxTimeMSExpired_and_writes_nothing()
    {
        var db = target.NewDatabase("fsynct");
        var coll = db.GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 0));
        await Admin.RunCommandAsync<BsonDocument>(Lock);
        MongoExecutionTimeoutException modify, insert;
        try
        {
            modify = await Assert.ThrowsAsync<MongoExecutionTimeoutException>(() => coll.FindOneAndUpdateAsync(
                new BsonDocument("_id", 1),
                new BsonDocument("$set", new BsonDocument("x", 1)),
                new FindOneAndUpdateOptions<BsonDocument> { IsUpsert = true, MaxTime = TimeSpan.FromMilliseconds(200) }));
            insert = await Assert.ThrowsAsync<MongoExecutionTimeoutException>(() => db.RunCommandAsync<BsonDocument>(new BsonDocument
            {
                { "insert", "c" },
                { "documents", new BsonArray { new BsonDocument("_id", 2) } },
                { "maxTimeMS", 200 },
            }));
        }
        finally
        {
            await Admin.RunCommandAsync<BsonDocument>(Unlock);
        }

        Assert.Equal((50, "MaxTimeMSExpired"), (modify.Code, modify.CodeName));
        Assert.Equal((50, "MaxTimeMSExpired"), (insert.Code, insert.CodeName));
        Assert.Equal(1, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [EmulatorOnlyFact]
    [Trait("Target", "EmulatorOnly")]
    public async Task A_locked_secondary_keeps_its_optime_oplog_and_data_while_the_primary_goes_on_and_catches_up_after_unlock()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 3, PeriodicNoopInterval = null });
        var secondary = TestClients.Create($"mongodb://{session.Emulator.Hosts[1]}/?directConnection=true&readPreference=secondaryPreferred");
        try
        {
            var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
            var onSecondary = secondary.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 0));
            await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Lock);
            var atLock = await LastWriteAsync(secondary);
            var hashAtLock = await DbHashAsync(secondary);

            await coll.InsertManyAsync(Enumerable.Range(1, 5).Select(i => new BsonDocument("_id", i)));
            var primaryAfter = await LastWriteAsync(session.Client);
            var secondaryAfter = await LastWriteAsync(secondary);
            var status = await session.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1));
            var newestOnSecondary = await OplogReader.Oplog(secondary).Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).SingleAsync();
            var countOnSecondary = await onSecondary.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
            var hashWhileLocked = await DbHashAsync(secondary);

            await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Unlock);
            var caughtUp = await LastWriteAsync(secondary);

            Assert.Equal(atLock, secondaryAfter);
            Assert.True(primaryAfter.CompareTo(atLock) > 0);
            Assert.Equal(atLock, status["members"][1]["optime"]["ts"].AsBsonTimestamp);
            Assert.Equal(primaryAfter, status["members"][2]["optime"]["ts"].AsBsonTimestamp);
            Assert.Equal(atLock, newestOnSecondary["ts"].AsBsonTimestamp);
            Assert.Equal(1, countOnSecondary);
            Assert.Equal(hashAtLock, hashWhileLocked);
            Assert.Equal(primaryAfter, caughtUp);
            Assert.Equal(6, await onSecondary.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            Assert.Equal(primaryAfter, session.Emulator.MemberLastAppliedTimestamp(1));
        }
        finally
        {
            TestClients.Dispose(secondary);
        }
    }

    [EmulatorOnlyFact]
    [Trait("Target", "EmulatorOnly")]
    public async Task With_two_members_a_locked_secondary_holds_the_majority_commit_point_until_it_is_unlocked()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { Members = 2, PeriodicNoopInterval = null });
        var secondary = TestClients.Create($"mongodb://{session.Emulator.Hosts[1]}/?directConnection=true");
        try
        {
            var coll = session.Client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 0));
            await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Lock);
            var atLock = session.Emulator.LastAppliedTimestamp;

            await coll.InsertOneAsync(new BsonDocument("_id", 1));
            var hello = await session.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
            var heldMajority = session.Emulator.MajorityCommitTimestamp;
            await secondary.GetDatabase("admin").RunCommandAsync<BsonDocument>(Unlock);

            Assert.True(session.Emulator.LastAppliedTimestamp.CompareTo(atLock) > 0);
            Assert.Equal(atLock, heldMajority);
            Assert.Equal(atLock, hello["lastWrite"]["majorityOpTime"]["ts"].AsBsonTimestamp);
            Assert.Equal(session.Emulator.LastAppliedTimestamp, hello["lastWrite"]["opTime"]["ts"].AsBsonTimestamp);
            Assert.Equal(session.Emulator.LastAppliedTimestamp, session.Emulator.MajorityCommitTimestamp);
        }
        finally
        {
            TestClients.Dispose(secondary);
        }
    }

    private static async Task<BsonTimestamp> LastWriteAsync(MongoClient client)
    {
        var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
        return hello["lastWrite"]["opTime"]["ts"].AsBsonTimestamp;
    }

    private static async Task<string> DbHashAsync(MongoClient client) =>
        (await client.GetDatabase("d").RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1)))["md5"].AsString;
}
