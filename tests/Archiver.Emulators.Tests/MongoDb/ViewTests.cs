using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>Views live as documents of <c>system.views</c>, and the oplog and applyOps treat them so (MONGODB-OPLOG.md, jstests view_catalog_oplog_entries).</summary>
public sealed class ViewTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    private static readonly BsonArray Pipeline = [new BsonDocument("$match", new BsonDocument("v", new BsonDocument("$gt", 1)))];

    [Fact]
    public async Task A_view_is_listed_with_its_definition_and_logged_as_a_system_views_insert()
    {
        var db = target.NewDatabase("views");
        var name = db.DatabaseNamespace.DatabaseName;
        await db.CreateCollectionAsync("c");
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        await db.CreateViewAsync<BsonDocument, BsonDocument>("big", "c", PipelineDefinition<BsonDocument, BsonDocument>.Create(Pipeline.Select(s => s.AsBsonDocument)));
        await db.CreateViewAsync<BsonDocument, BsonDocument>("all", "c", PipelineDefinition<BsonDocument, BsonDocument>.Create(Array.Empty<BsonDocument>()));
        var views = (await (await db.ListCollectionsAsync(new ListCollectionsOptions { Filter = new BsonDocument("type", "view") })).ToListAsync())
            .ToDictionary(v => v["name"].AsString);
        var entries = await OplogReader.EntriesAsync(target.Client, start, name);

        Assert.Equal(["all", "big"], views.Keys.Order());
        Assert.Equal("c", views["big"]["options"]["viewOn"].AsString);
        Assert.Equal(Pipeline, views["big"]["options"]["pipeline"].AsBsonArray);
        Assert.True(views["big"]["info"]["readOnly"].AsBoolean);
        // The first view creates system.views; each view is one insert into it, keyed by "db.view".
        var inserts = entries.Where(e => e["op"] == "i").ToList();
        Assert.All(inserts, e => Assert.Equal($"{name}.system.views", e["ns"].AsString));
        Assert.Equal([$"{name}.big", $"{name}.all"], inserts.Select(e => e["o"]["_id"].AsString));
        Assert.Equal("c", inserts[0]["o"]["viewOn"].AsString);
        Assert.Single(entries, e => e["op"] == "c" && e["o"].AsBsonDocument.GetValue("create", "") == "system.views");
    }

    [Fact]
    public async Task Dropping_a_view_deletes_its_definition_and_keeps_system_views()
    {
        var db = target.NewDatabase("viewdrop");
        var name = db.DatabaseNamespace.DatabaseName;
        await db.CreateViewAsync<BsonDocument, BsonDocument>("v", "c", PipelineDefinition<BsonDocument, BsonDocument>.Create(Array.Empty<BsonDocument>()));
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        await db.DropCollectionAsync("v");
        var entries = await OplogReader.EntriesAsync(target.Client, start, name);
        var listed = await (await db.ListCollectionsAsync()).ToListAsync();

        var delete = Assert.Single(entries);
        Assert.Equal("d", delete["op"].AsString);
        Assert.Equal($"{name}.system.views", delete["ns"].AsString);
        Assert.Equal($"{name}.v", delete["o"]["_id"].AsString);
        Assert.DoesNotContain(listed, c => c["type"] == "view");
    }

    [Fact]
    public async Task A_view_name_is_taken_and_a_view_takes_no_writes()
    {
        var db = target.NewDatabase("viewname");
        await db.CreateViewAsync<BsonDocument, BsonDocument>("v", "c", PipelineDefinition<BsonDocument, BsonDocument>.Create(Array.Empty<BsonDocument>()));

        var again = await Assert.ThrowsAsync<MongoCommandException>(() => db.CreateCollectionAsync("v"));
        var insert = await Assert.ThrowsAnyAsync<MongoException>(() => db.GetCollection<BsonDocument>("v").InsertOneAsync(new BsonDocument("_id", 1)));

        Assert.Equal(48, again.Code);
        Assert.Contains("is a view, not a collection", insert.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyOps_on_system_views_makes_and_removes_views_as_on_a_secondary()
    {
        var db = target.NewDatabase("viewapply");
        var name = db.DatabaseNamespace.DatabaseName;
        var admin = target.Client.GetDatabase("admin");
        var insert = new BsonDocument { { "op", "i" }, { "ns", $"{name}.system.views" }, { "o", new BsonDocument { { "_id", $"{name}.v" }, { "viewOn", "c" }, { "pipeline", new BsonArray() } } } };

        // Without system.views the insert has nowhere to go, as MongoDB answers.
        var missing = await Assert.ThrowsAsync<MongoCommandException>(() => admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray { insert })));
        await db.CreateViewAsync<BsonDocument, BsonDocument>("other", "c", PipelineDefinition<BsonDocument, BsonDocument>.Create(Array.Empty<BsonDocument>()));
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray { insert }));
        var afterInsert = await ViewNamesAsync(db);
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray
        {
            new BsonDocument { { "op", "d" }, { "ns", $"{name}.system.views" }, { "o", new BsonDocument("_id", $"{name}.other") } },
        }));

        Assert.Equal(26, missing.Code);
        Assert.Equal(["other", "v"], afterInsert);
        Assert.Equal(["v"], await ViewNamesAsync(db));
    }

    private static async Task<List<string>> ViewNamesAsync(IMongoDatabase db) =>
        [.. (await (await db.ListCollectionsAsync(new ListCollectionsOptions { Filter = new BsonDocument("type", "view") })).ToListAsync()).Select(v => v["name"].AsString).Order(StringComparer.Ordinal)];
}
