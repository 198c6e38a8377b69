using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

public sealed class CatalogTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    [Fact]
    public async Task Created_collections_are_listed_with_their_options_and_uuid()
    {
        var db = target.NewDatabase("catalog");
        await db.CreateCollectionAsync("capped", new CreateCollectionOptions { Capped = true, MaxSize = 4096 });
        await db.GetCollection<BsonDocument>("plain").InsertOneAsync(new BsonDocument("_id", 1));

        var listed = await (await db.ListCollectionsAsync()).ToListAsync();
        var databases = await (await target.Client.ListDatabaseNamesAsync()).ToListAsync();

        Assert.Equal(["capped", "plain"], listed.Select(c => c["name"].AsString).Order());
        var capped = listed.Single(c => c["name"] == "capped");
        Assert.True(capped["options"]["capped"].AsBoolean);
        Assert.Equal(BsonBinarySubType.UuidStandard, capped["info"]["uuid"].AsBsonBinaryData.SubType);
        Assert.Contains(db.DatabaseNamespace.DatabaseName, databases);
    }

    [Fact]
    public async Task Indexes_are_listed_after_the_id_index_and_can_be_dropped()
    {
        var coll = target.NewDatabase("indexes").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "email", "a@b" } });

        var name = await coll.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(
            Builders<BsonDocument>.IndexKeys.Ascending("email"),
            new CreateIndexOptions { Unique = true }));
        var listed = await (await coll.Indexes.ListAsync()).ToListAsync();
        await coll.Indexes.DropOneAsync(name);
        var afterDrop = await (await coll.Indexes.ListAsync()).ToListAsync();

        Assert.Equal(["_id_", "email_1"], listed.Select(i => i["name"].AsString));
        Assert.True(listed[1]["unique"].AsBoolean);
        Assert.Equal(new BsonDocument("email", 1), listed[1]["key"]);
        Assert.Equal(["_id_"], afterDrop.Select(i => i["name"].AsString));
    }

    [Fact]
    public async Task Dropping_a_collection_and_a_database_removes_them()
    {
        var db = target.NewDatabase("drop");
        await db.GetCollection<BsonDocument>("a").InsertOneAsync(new BsonDocument("_id", 1));
        await db.GetCollection<BsonDocument>("b").InsertOneAsync(new BsonDocument("_id", 1));

        await db.DropCollectionAsync("a");
        var remaining = await (await db.ListCollectionNamesAsync()).ToListAsync();
        await target.Client.DropDatabaseAsync(db.DatabaseNamespace.DatabaseName);
        var databases = await (await target.Client.ListDatabaseNamesAsync()).ToListAsync();

        Assert.Equal(["b"], remaining);
        Assert.DoesNotContain(db.DatabaseNamespace.DatabaseName, databases);
    }

    [Fact]
    public async Task Creating_an_existing_collection_fails_with_NamespaceExists()
    {
        var db = target.NewDatabase("exists");
        await db.CreateCollectionAsync("c");

        var error = await Assert.ThrowsAsync<MongoCommandException>(() => db.CreateCollectionAsync("c"));

        Assert.Equal(48, error.Code);
    }

    [Fact]
    public async Task The_server_answers_ping_buildInfo_and_replSetGetStatus()
    {
        var admin = target.Client.GetDatabase("admin");

        var ping = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1));
        var build = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("buildInfo", 1));
        var status = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1));

        Assert.Equal(1.0, ping["ok"].ToDouble());
        Assert.False(string.IsNullOrEmpty(build["version"].AsString));
        Assert.Equal(1, status["myState"].ToInt32());
        Assert.IsType<BsonTimestamp>(status["optimes"]["lastCommittedOpTime"]["ts"]);
        Assert.Contains(status["members"].AsBsonArray, m => m["stateStr"] == "PRIMARY");
    }
}
