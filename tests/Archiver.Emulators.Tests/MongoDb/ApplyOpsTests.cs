using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>applyOps as the restore executor will use it (MONGODB-OPLOG.md §4).</summary>
public sealed class ApplyOpsTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    private IMongoDatabase Admin => target.Client.GetDatabase("admin");

    [Fact]
    public async Task Replaying_a_databases_oplog_onto_another_database_gives_the_same_dbHash()
    {
        var source = target.NewDatabase("src");
        var copy = target.NewDatabase("dst");
        var start = await OplogReader.NewestTimestampAsync(target.Client);
        await RunWorkloadAsync(source);

        var entries = await OplogReader.EntriesAsync(target.Client, start, source.DatabaseNamespace.DatabaseName);
        await OplogReplay.ApplyAsync(target.Client, entries, source.DatabaseNamespace.DatabaseName, copy.DatabaseNamespace.DatabaseName);
        var sourceHash = await source.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));
        var copyHash = await copy.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));

        Assert.Equal(["people", "things"], sourceHash["collections"].AsBsonDocument.Names.Order());
        Assert.Equal(sourceHash["collections"], copyHash["collections"]);
        Assert.Equal(sourceHash["md5"], copyHash["md5"]);
        Assert.Equal(
            await (await source.GetCollection<BsonDocument>("people").Indexes.ListAsync()).ToListAsync(),
            await (await copy.GetCollection<BsonDocument>("people").Indexes.ListAsync()).ToListAsync());
    }

    [Fact]
    public async Task An_insert_of_an_existing_id_becomes_an_upsert()
    {
        var db = target.NewDatabase("upsert");
        await db.CreateCollectionAsync("c");
        var ns = $"{db.DatabaseNamespace.DatabaseName}.c";

        await ApplyAsync(new BsonDocument { { "op", "i" }, { "ns", ns }, { "o", new BsonDocument { { "_id", 1 }, { "v", 1 } } } });
        await ApplyAsync(new BsonDocument { { "op", "i" }, { "ns", ns }, { "o", new BsonDocument { { "_id", 1 }, { "v", 2 } } } });

        Assert.Equal(new BsonDocument { { "_id", 1 }, { "v", 2 } }, await db.GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).SingleAsync());
    }

    [Fact]
    public async Task A_v2_diff_applies_nested_and_array_sections()
    {
        var db = target.NewDatabase("diffs");
        var coll = db.GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "a", new BsonDocument { { "b", 1 }, { "c", new BsonArray { 1, 2 } } } }, { "d", 1 } });
        var diff = new BsonDocument
        {
            { "d", new BsonDocument("d", false) },
            { "i", new BsonDocument("e", "new") },
            { "sa", new BsonDocument { { "u", new BsonDocument("b", 2) }, { "sc", new BsonDocument { { "a", true }, { "u0", 0 }, { "u2", 3 } } } } },
        };

        await ApplyAsync(new BsonDocument
        {
            { "op", "u" },
            { "ns", $"{db.DatabaseNamespace.DatabaseName}.c" },
            { "o", new BsonDocument { { "$v", 2 }, { "diff", diff } } },
            { "o2", new BsonDocument("_id", 1) },
        });

        Assert.Equal(
            new BsonDocument { { "_id", 1 }, { "a", new BsonDocument { { "b", 2 }, { "c", new BsonArray { 0, 2, 3 } } } }, { "e", "new" } },
            await coll.Find(FilterDefinition<BsonDocument>.Empty).SingleAsync());
    }

    [Fact]
    public async Task An_update_upserts_by_default_and_fails_on_a_missing_document_without_alwaysUpsert()
    {
        var db = target.NewDatabase("always");
        await db.CreateCollectionAsync("c");
        var ns = $"{db.DatabaseNamespace.DatabaseName}.c";
        BsonDocument Update(int id) => new()
        {
            { "op", "u" }, { "ns", ns }, { "o", new BsonDocument { { "$v", 2 }, { "diff", new BsonDocument("i", new BsonDocument("x", 1)) } } }, { "o2", new BsonDocument("_id", id) },
        };

        await ApplyAsync(Update(1));
        var error = await Assert.ThrowsAsync<MongoCommandException>(() => Admin.RunCommandAsync<BsonDocument>(
            new BsonDocument { { "applyOps", new BsonArray { Update(2) } }, { "alwaysUpsert", false } }));

        Assert.Equal(new BsonDocument { { "_id", 1 }, { "x", 1 } }, await db.GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).SingleAsync());
        Assert.Equal(104, error.Code);
    }

    [Fact]
    public async Task An_update_without_o2_id_is_refused_with_NoSuchKey()
    {
        var db = target.NewDatabase("noo2");
        await db.CreateCollectionAsync("c");

        var error = await Assert.ThrowsAsync<MongoCommandException>(() => ApplyAsync(new BsonDocument
        {
            { "op", "u" }, { "ns", $"{db.DatabaseNamespace.DatabaseName}.c" }, { "o", new BsonDocument { { "$v", 2 }, { "diff", new BsonDocument("i", new BsonDocument("x", 1)) } } },
        }));

        Assert.Equal(4, error.Code);
    }

    [Theory]
    [InlineData("createIndexes", 115)]
    [InlineData("commitIndexBuild", 115)]
    [InlineData("commitTransaction", 50987)]
    [InlineData("abortTransaction", 50972)]
    public async Task Commands_MongoDB_refuses_in_applyOps_are_refused_with_its_codes(string command, int code)
    {
        var db = target.NewDatabase("refuse");
        await db.CreateCollectionAsync("c");
        var o = command switch
        {
            "createIndexes" => new BsonDocument { { "createIndexes", "c" }, { "v", 2 }, { "key", new BsonDocument("k", 1) }, { "name", "k_1" } },
            "commitIndexBuild" => new BsonDocument { { "commitIndexBuild", "c" }, { "indexBuildUUID", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard) }, { "indexes", new BsonArray() } },
            _ => new BsonDocument { { command, 1 }, { "commitTimestamp", new BsonTimestamp(1, 1) } },
        };
        var ns = command.EndsWith("Transaction", StringComparison.Ordinal) ? "admin.$cmd" : $"{db.DatabaseNamespace.DatabaseName}.$cmd";

        var error = await Assert.ThrowsAsync<MongoCommandException>(() => ApplyAsync(new BsonDocument { { "op", "c" }, { "ns", ns }, { "o", o } }));

        Assert.Equal(code, error.Code);
    }

    [Theory]
    [InlineData("partialTxn", 31056)]
    [InlineData("count", 31240)]
    [InlineData("prepare", 2)]
    public async Task A_transaction_chain_entry_cannot_be_replayed_verbatim(string field, int code)
    {
        var db = target.NewDatabase("chain");
        await db.CreateCollectionAsync("c");
        var command = new BsonDocument
        {
            { "applyOps", new BsonArray { new BsonDocument { { "op", "i" }, { "ns", $"{db.DatabaseNamespace.DatabaseName}.c" }, { "o", new BsonDocument("_id", 1) } } } },
            { field, field == "count" ? new BsonInt64(2) : BsonBoolean.True },
        };

        var error = await Assert.ThrowsAsync<MongoCommandException>(() => Admin.RunCommandAsync<BsonDocument>(command));

        Assert.Equal(code, error.Code);
        Assert.Equal(0, await db.GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task DbHash_differs_when_one_document_differs()
    {
        var a = target.NewDatabase("ha");
        var b = target.NewDatabase("hb");
        await a.GetCollection<BsonDocument>("c").InsertManyAsync([new BsonDocument("_id", 1), new BsonDocument { { "_id", 2 }, { "v", 1 } }]);
        await b.GetCollection<BsonDocument>("c").InsertManyAsync([new BsonDocument("_id", 1), new BsonDocument { { "_id", 2 }, { "v", 1 } }]);
        var same = (await a.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1)))["collections"] == (await b.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1)))["collections"];

        await b.GetCollection<BsonDocument>("c").UpdateOneAsync(new BsonDocument("_id", 2), Builders<BsonDocument>.Update.Set("v", 1L));
        var hashA = await a.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));
        var hashB = await b.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));

        Assert.True(same);
        Assert.NotEqual(hashA["collections"]["c"], hashB["collections"]["c"]);
    }

    private Task<BsonDocument> ApplyAsync(BsonDocument op) =>
        Admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray { op }));

    private async Task RunWorkloadAsync(IMongoDatabase db)
    {
        var people = db.GetCollection<BsonDocument>("people");
        var things = db.GetCollection<BsonDocument>("things");
        await people.InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument
        {
            { "_id", i }, { "name", $"p{i}" }, { "tags", new BsonArray { "a" } }, { "address", new BsonDocument("city", "x") },
        }));
        await people.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("name")));
        await people.UpdateManyAsync(Builders<BsonDocument>.Filter.Lt("_id", 10), Builders<BsonDocument>.Update.Inc("visits", 1).Set("address.zip", "123"));
        await people.UpdateOneAsync(new BsonDocument("_id", 3), Builders<BsonDocument>.Update.Push("tags", "b").Unset("name"));
        await people.ReplaceOneAsync(new BsonDocument("_id", 4), new BsonDocument("whole", "new"));
        await people.DeleteManyAsync(Builders<BsonDocument>.Filter.Gte("_id", 15));
        await people.UpdateOneAsync(new BsonDocument("_id", 99), Builders<BsonDocument>.Update.Set("late", true), new UpdateOptions { IsUpsert = true });
        await things.InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "n", 1.5 } });
        await db.GetCollection<BsonDocument>("temp").InsertOneAsync(new BsonDocument("_id", 1));
        await db.DropCollectionAsync("temp");
        using var session = await target.Client.StartSessionAsync();
        session.StartTransaction();
        await people.UpdateOneAsync(session, new BsonDocument("_id", 1), Builders<BsonDocument>.Update.Set("txn", 1));
        await things.InsertOneAsync(session, new BsonDocument("_id", "t"));
        await session.CommitTransactionAsync();
    }
}
