using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>The entries MongoDB 6.0+ writes, per MONGODB-OPLOG.md §1–§3.</summary>
public sealed class OplogShapeTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    [Fact]
    public async Task An_insert_is_logged_with_every_documented_field_and_type()
    {
        var db = target.NewDatabase("shape");
        var coll = db.GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 0));
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "x", "y" } });
        var entry = Assert.Single(await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName));

        Assert.Equal("i", entry["op"].AsString);
        Assert.Equal($"{db.DatabaseNamespace.DatabaseName}.c", entry["ns"].AsString);
        Assert.Equal(BsonBinarySubType.UuidStandard, entry["ui"].AsBsonBinaryData.SubType);
        Assert.Equal(new BsonDocument { { "_id", 1 }, { "x", "y" } }, entry["o"]);
        Assert.Equal(new BsonDocument("_id", 1), entry["o2"]);
        Assert.IsType<BsonTimestamp>(entry["ts"]);
        Assert.Equal(BsonType.Int64, entry["t"].BsonType);
        Assert.Equal(new BsonInt64(2), entry["v"]);
        Assert.Equal(BsonType.DateTime, entry["wall"].BsonType);
        Assert.False(entry.Contains("h"));
    }

    [Fact]
    public async Task Updates_are_logged_as_v2_diffs_in_the_shapes_MongoDB_writes()
    {
        var db = target.NewDatabase("diff");
        var coll = db.GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "a", new BsonArray { 0, 1, 2 } }, { "n", new BsonDocument("b", 1) }, { "gone", 1 }, { "s", "x" } });
        var start = await OplogReader.NewestTimestampAsync(target.Client);
        var id = new BsonDocument("_id", 1);

        await coll.UpdateOneAsync(id, Builders<BsonDocument>.Update.Set("s", "y"));
        await coll.UpdateOneAsync(id, Builders<BsonDocument>.Update.Unset("gone"));
        await coll.UpdateOneAsync(id, Builders<BsonDocument>.Update.Set("fresh", 5));
        await coll.UpdateOneAsync(id, Builders<BsonDocument>.Update.Inc("n.b", 2));
        await coll.UpdateOneAsync(id, Builders<BsonDocument>.Update.Set("a.1", 6));
        await coll.UpdateOneAsync(id, Builders<BsonDocument>.Update.Set("s", "y"));
        var entries = await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName);

        Assert.Equal(5, entries.Count);
        Assert.All(entries, e => Assert.Equal("u", e["op"].AsString));
        Assert.All(entries, e => Assert.Equal(id, e["o2"]));
        Assert.All(entries, e => Assert.Equal(2, e["o"]["$v"].ToInt32()));
        Assert.Equal(new BsonDocument("u", new BsonDocument("s", "y")), entries[0]["o"]["diff"]);
        Assert.Equal(new BsonDocument("d", new BsonDocument("gone", false)), entries[1]["o"]["diff"]);
        Assert.Equal(new BsonDocument("i", new BsonDocument("fresh", 5)), entries[2]["o"]["diff"]);
        Assert.Equal(new BsonDocument("sn", new BsonDocument("u", new BsonDocument("b", 3))), entries[3]["o"]["diff"]);
        Assert.Equal(new BsonDocument("sa", new BsonDocument { { "a", true }, { "u1", 6 } }), entries[4]["o"]["diff"]);
    }

    [Fact]
    public async Task A_replacement_is_logged_as_the_full_post_image_and_a_delete_as_its_key()
    {
        var db = target.NewDatabase("repl");
        var coll = db.GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "old", 1 } });
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        await coll.ReplaceOneAsync(new BsonDocument("_id", 1), new BsonDocument("new", 2));
        await coll.DeleteOneAsync(new BsonDocument("_id", 1));
        var entries = await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName);

        Assert.Equal(["u", "d"], entries.Select(e => e["op"].AsString));
        Assert.Equal(new BsonDocument { { "_id", 1 }, { "new", 2 } }, entries[0]["o"]);
        Assert.Equal(new BsonDocument("_id", 1), entries[1]["o"]);
        Assert.False(entries[1].Contains("o2"));
    }

    [Fact]
    public async Task Catalog_changes_are_logged_as_command_entries()
    {
        var db = target.NewDatabase("cmds");
        var name = db.DatabaseNamespace.DatabaseName;
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        await db.CreateCollectionAsync("c");
        await db.GetCollection<BsonDocument>("c").Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(Builders<BsonDocument>.IndexKeys.Ascending("k")));
        await db.GetCollection<BsonDocument>("c").InsertManyAsync([new BsonDocument("_id", 1), new BsonDocument("_id", 2)]);
        await db.DropCollectionAsync("c");
        await db.GetCollection<BsonDocument>("d").InsertOneAsync(new BsonDocument("_id", 1));
        await target.Client.DropDatabaseAsync(name);
        var commands = (await OplogReader.EntriesAsync(target.Client, start, name)).Where(e => e["op"] == "c").ToList();

        Assert.All(commands, c => Assert.Equal($"{name}.$cmd", c["ns"].AsString));
        var create = commands[0]["o"].AsBsonDocument;
        Assert.Equal("c", create["create"].AsString);
        Assert.Equal(CollectionIdIndex(), create["idIndex"]);
        Assert.Equal(BsonBinarySubType.UuidStandard, commands[0]["ui"].AsBsonBinaryData.SubType);
        var index = commands[1]["o"].AsBsonDocument;
        Assert.Equal("c", index["createIndexes"].AsString);
        Assert.Equal(new BsonDocument("k", 1), index["key"]);
        Assert.Equal("k_1", index["name"].AsString);
        var drop = commands.First(c => c["o"].AsBsonDocument.Contains("drop"));
        Assert.Equal(new BsonDocument("drop", "c"), drop["o"]);
        Assert.Equal(2, drop["o2"]["numRecords"].ToInt32());
        var dropDatabase = commands[^1];
        Assert.Equal(new BsonDocument("dropDatabase", 1), dropDatabase["o"]);
        Assert.False(dropDatabase.Contains("ui"));
    }

    [Fact]
    public async Task Timestamps_increase_strictly_and_follow_the_wall_clock_seconds()
    {
        var db = target.NewDatabase("ts");
        var coll = db.GetCollection<BsonDocument>("c");
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        for (var i = 0; i < 30; i++)
        {
            await coll.InsertOneAsync(new BsonDocument("_id", i));
        }

        var entries = await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName);
        var stamps = entries.Select(e => e["ts"].AsBsonTimestamp).ToList();

        Assert.Equal(31, entries.Count);
        Assert.True(stamps.Zip(stamps.Skip(1)).All(p => p.First.CompareTo(p.Second) < 0), "timestamps must strictly increase");
        Assert.All(entries, e => Assert.InRange(
            e["ts"].AsBsonTimestamp.Timestamp - new DateTimeOffset(e["wall"].ToUniversalTime()).ToUnixTimeSeconds(),
            -1,
            1));
    }

    private static BsonDocument CollectionIdIndex() => new() { { "v", 2 }, { "key", new BsonDocument("_id", 1) }, { "name", "_id_" } };
}
