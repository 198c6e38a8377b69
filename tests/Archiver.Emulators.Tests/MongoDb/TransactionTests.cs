using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

public sealed class TransactionTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    [Fact]
    public async Task A_committed_transaction_is_one_applyOps_entry_with_its_session_fields()
    {
        var db = target.NewDatabase("txn");
        var a = db.GetCollection<BsonDocument>("a");
        var b = db.GetCollection<BsonDocument>("b");
        await a.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "v", 1 } });
        await b.InsertOneAsync(new BsonDocument("_id", 9));
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        using (var session = await target.Client.StartSessionAsync())
        {
            session.StartTransaction();
            await a.InsertOneAsync(session, new BsonDocument("_id", 2));
            await a.UpdateOneAsync(session, new BsonDocument("_id", 1), Builders<BsonDocument>.Update.Set("v", 2));
            await b.DeleteOneAsync(session, new BsonDocument("_id", 9));
            await session.CommitTransactionAsync();
        }

        var entry = Assert.Single(await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName));
        Assert.Equal("c", entry["op"].AsString);
        Assert.Equal("admin.$cmd", entry["ns"].AsString);
        Assert.True(entry.Contains("lsid"));
        Assert.Equal(BsonType.Int64, entry["txnNumber"].BsonType);
        Assert.Equal(new BsonTimestamp(0, 0), entry["prevOpTime"]["ts"]);
        Assert.Equal(-1, entry["prevOpTime"]["t"].ToInt64());
        var o = entry["o"].AsBsonDocument;
        Assert.False(o.Contains("partialTxn"));
        Assert.False(o.Contains("count"));
        var ops = o["applyOps"].AsBsonArray.Select(x => x.AsBsonDocument).ToList();
        Assert.Equal(["i", "u", "d"], ops.Select(x => x["op"].AsString));
        Assert.All(ops, x => Assert.False(x.Contains("ts") || x.Contains("t") || x.Contains("wall")));
        Assert.All(ops, x => Assert.Equal(BsonBinarySubType.UuidStandard, x["ui"].AsBsonBinaryData.SubType));
        Assert.Equal(new BsonDocument { { "$v", 2 }, { "diff", new BsonDocument("u", new BsonDocument("v", 2)) } }, ops[1]["o"]);
        Assert.Equal(new BsonDocument("_id", 1), ops[1]["o2"]);
    }

    [Fact]
    public async Task Writes_inside_a_transaction_are_invisible_outside_until_commit()
    {
        var coll = target.NewDatabase("iso").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 0));
        using var session = await target.Client.StartSessionAsync();
        session.StartTransaction();

        await coll.InsertOneAsync(session, new BsonDocument("_id", 1));
        var inside = await coll.CountDocumentsAsync(session, FilterDefinition<BsonDocument>.Empty);
        var outside = await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
        await session.CommitTransactionAsync();
        var after = await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);

        Assert.Equal(2, inside);
        Assert.Equal(1, outside);
        Assert.Equal(2, after);
    }

    [Fact]
    public async Task An_aborted_transaction_changes_nothing_and_logs_nothing()
    {
        var db = target.NewDatabase("abort");
        var coll = db.GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 0));
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        using (var session = await target.Client.StartSessionAsync())
        {
            session.StartTransaction();
            await coll.InsertOneAsync(session, new BsonDocument("_id", 1));
            await coll.DeleteOneAsync(session, new BsonDocument("_id", 0));
            await session.AbortTransactionAsync();
        }

        Assert.Empty(await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName));
        Assert.Equal([0], (await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()).Select(d => d["_id"].AsInt32));
    }

    [Fact]
    public async Task A_collection_created_inside_a_transaction_is_logged_inside_its_applyOps_entry_and_hidden_until_commit()
    {
        var db = target.NewDatabase("txncreate");
        await db.GetCollection<BsonDocument>("existing").InsertOneAsync(new BsonDocument("_id", 0));
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        List<string> visibleBeforeCommit;
        using (var session = await target.Client.StartSessionAsync())
        {
            session.StartTransaction();
            await db.GetCollection<BsonDocument>("fresh").InsertOneAsync(session, new BsonDocument("_id", 1));
            visibleBeforeCommit = await (await db.ListCollectionNamesAsync()).ToListAsync();
            await session.CommitTransactionAsync();
        }

        var entry = Assert.Single(await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName));
        var ops = entry["o"]["applyOps"].AsBsonArray.Select(x => x.AsBsonDocument).ToList();
        Assert.DoesNotContain("fresh", visibleBeforeCommit);
        Assert.Equal(["c", "i"], ops.Select(x => x["op"].AsString));
        Assert.Equal($"{db.DatabaseNamespace.DatabaseName}.$cmd", ops[0]["ns"].AsString);
        Assert.Equal("fresh", ops[0]["o"]["create"].AsString);
        Assert.Equal(ops[0]["ui"], ops[1]["ui"]);
        Assert.Equal(1, await db.GetCollection<BsonDocument>("fresh").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [EmulatorOnlyFact]
    [Trait("Target", "EmulatorOnly")]
    public async Task A_transaction_over_the_entry_limit_becomes_a_partialTxn_chain_ending_with_count()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, TransactionEntryMaxOperations = 2 });
        var client = TestClients.Create(emulator.ConnectionString);
        try
        {
            var coll = client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 0));
            var before = emulator.ReadOplog().Count;
            using (var session = await client.StartSessionAsync())
            {
                session.StartTransaction();
                for (var i = 1; i <= 5; i++)
                {
                    await coll.InsertOneAsync(session, new BsonDocument("_id", i));
                }

                await session.CommitTransactionAsync();
            }

            var chain = emulator.ReadOplog().Skip(before).ToList();

            Assert.Equal(3, chain.Count);
            Assert.Equal([2, 2, 1], chain.Select(e => e["o"]["applyOps"].AsBsonArray.Count));
            Assert.True(chain[0]["o"]["partialTxn"].AsBoolean);
            Assert.True(chain[1]["o"]["partialTxn"].AsBoolean);
            Assert.False(chain[2]["o"].AsBsonDocument.Contains("partialTxn"));
            Assert.Equal(new BsonInt64(5), chain[2]["o"]["count"]);
            Assert.Equal(new BsonTimestamp(0, 0), chain[0]["prevOpTime"]["ts"]);
            Assert.Equal(chain[0]["ts"], chain[1]["prevOpTime"]["ts"]);
            Assert.Equal(chain[1]["ts"], chain[2]["prevOpTime"]["ts"]);
            Assert.Single(chain.Select(e => e["txnNumber"]).Distinct());
            Assert.Equal(6, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }
}
