using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

public sealed class CrudTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    [Fact]
    public async Task Inserted_documents_come_back_in_id_order_with_equality_filters()
    {
        var coll = target.NewDatabase("crud").GetCollection<BsonDocument>("people");
        await coll.InsertManyAsync([
            new BsonDocument { { "_id", 3 }, { "name", "c" }, { "team", "red" } },
            new BsonDocument { { "_id", 1 }, { "name", "a" }, { "team", "blue" } },
            new BsonDocument { { "_id", 2 }, { "name", "b" }, { "team", "red" } },
        ]);

        var all = await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
        var red = await coll.Find(new BsonDocument("team", "red")).ToListAsync();

        Assert.Equal([1, 2, 3], all.Select(d => d["_id"].AsInt32));
        Assert.Equal(["b", "c"], red.Select(d => d["name"].AsString));
    }

    [Fact]
    public async Task Id_ranges_limits_and_descending_sorts_select_the_right_documents()
    {
        var coll = target.NewDatabase("range").GetCollection<BsonDocument>("c");
        await coll.InsertManyAsync(Enumerable.Range(0, 20).Select(i => new BsonDocument("_id", i)));

        var range = await coll.Find(Builders<BsonDocument>.Filter.Gte("_id", 5) & Builders<BsonDocument>.Filter.Lt("_id", 9)).ToListAsync();
        var top = await coll.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", -1)).Limit(3).ToListAsync();
        var after = await coll.Find(Builders<BsonDocument>.Filter.Gt("_id", 17)).ToListAsync();

        Assert.Equal([5, 6, 7, 8], range.Select(d => d["_id"].AsInt32));
        Assert.Equal([19, 18, 17], top.Select(d => d["_id"].AsInt32));
        Assert.Equal([18, 19], after.Select(d => d["_id"].AsInt32));
    }

    [Fact]
    public async Task A_small_batch_size_still_returns_every_document_through_getMore()
    {
        var coll = target.NewDatabase("batch").GetCollection<BsonDocument>("c");
        await coll.InsertManyAsync(Enumerable.Range(0, 250).Select(i => new BsonDocument { { "_id", i }, { "pad", new string('x', 100) } }));

        using var cursor = await coll.FindAsync(FilterDefinition<BsonDocument>.Empty, new FindOptions<BsonDocument> { BatchSize = 7 });
        var seen = new List<int>();
        var batches = 0;
        while (await cursor.MoveNextAsync())
        {
            batches++;
            seen.AddRange(cursor.Current.Select(d => d["_id"].AsInt32));
        }

        Assert.Equal(Enumerable.Range(0, 250), seen);
        Assert.True(batches >= 36, $"expected many batches, got {batches}");
    }

    [Fact]
    public async Task Set_unset_and_inc_change_only_the_named_fields()
    {
        var coll = target.NewDatabase("ops").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "a", 1 }, { "b", "keep" }, { "c", true }, { "n", new BsonDocument("x", 1) } });

        var result = await coll.UpdateOneAsync(
            new BsonDocument("_id", 1),
            Builders<BsonDocument>.Update.Set("b", "changed").Unset("c").Inc("a", 41).Set("n.y", 2));
        var doc = await coll.Find(new BsonDocument("_id", 1)).SingleAsync();

        Assert.Equal(1, result.ModifiedCount);
        Assert.Equal(
            new BsonDocument { { "_id", 1 }, { "a", 42 }, { "b", "changed" }, { "n", new BsonDocument { { "x", 1 }, { "y", 2 } } } },
            doc);
    }

    [Fact]
    public async Task A_replacement_keeps_the_id_and_drops_other_fields()
    {
        var coll = target.NewDatabase("replace").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", "k" }, { "old", 1 } });

        await coll.ReplaceOneAsync(new BsonDocument("_id", "k"), new BsonDocument("new", 2));

        Assert.Equal(new BsonDocument { { "_id", "k" }, { "new", 2 } }, await coll.Find(new BsonDocument("_id", "k")).SingleAsync());
    }

    [Fact]
    public async Task An_upsert_inserts_the_filter_fields_with_the_update_and_reports_the_new_id()
    {
        var coll = target.NewDatabase("upsert").GetCollection<BsonDocument>("c");

        var result = await coll.UpdateOneAsync(new BsonDocument("_id", 7), Builders<BsonDocument>.Update.Set("v", 1), new UpdateOptions { IsUpsert = true });
        var second = await coll.UpdateOneAsync(new BsonDocument("_id", 7), Builders<BsonDocument>.Update.Inc("v", 1), new UpdateOptions { IsUpsert = true });

        Assert.Equal(7, result.UpsertedId.AsInt32);
        Assert.Null(second.UpsertedId);
        Assert.Equal(new BsonDocument { { "_id", 7 }, { "v", 2 } }, await coll.Find(new BsonDocument("_id", 7)).SingleAsync());
    }

    [Fact]
    public async Task Update_many_and_delete_many_touch_every_match()
    {
        var coll = target.NewDatabase("many").GetCollection<BsonDocument>("c");
        await coll.InsertManyAsync(Enumerable.Range(0, 10).Select(i => new BsonDocument { { "_id", i }, { "even", i % 2 == 0 } }));

        var updated = await coll.UpdateManyAsync(new BsonDocument("even", true), Builders<BsonDocument>.Update.Set("seen", true));
        var deleted = await coll.DeleteManyAsync(new BsonDocument("even", false));
        var one = await coll.DeleteOneAsync(new BsonDocument("even", true));

        Assert.Equal(5, updated.ModifiedCount);
        Assert.Equal(5, deleted.DeletedCount);
        Assert.Equal(1, one.DeletedCount);
        Assert.Equal(4, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Equal(4, await coll.EstimatedDocumentCountAsync());
    }

    [Fact]
    public async Task A_duplicate_id_is_a_write_error_with_code_11000()
    {
        var coll = target.NewDatabase("dup").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument("_id", 1));

        var error = await Assert.ThrowsAsync<MongoWriteException>(() => coll.InsertOneAsync(new BsonDocument("_id", 1)));

        Assert.Equal(11000, error.WriteError.Code);
        Assert.Equal(ServerErrorCategory.DuplicateKey, error.WriteError.Category);
    }

    [Fact]
    public async Task Find_one_and_update_returns_the_image_asked_for()
    {
        var coll = target.NewDatabase("fam").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "n", 1 } });

        var before = await coll.FindOneAndUpdateAsync(new BsonDocument("_id", 1), Builders<BsonDocument>.Update.Inc("n", 1));
        var after = await coll.FindOneAndUpdateAsync(
            new BsonDocument("_id", 1),
            Builders<BsonDocument>.Update.Inc("n", 1),
            new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.After });

        Assert.Equal(1, before["n"].AsInt32);
        Assert.Equal(3, after["n"].AsInt32);
    }

    [Fact]
    public async Task Filters_support_in_ne_exists_and_regex()
    {
        var coll = target.NewDatabase("filters").GetCollection<BsonDocument>("c");
        await coll.InsertManyAsync([
            new BsonDocument { { "_id", 1 }, { "ns", "app.users" }, { "tags", new BsonArray { "x", "y" } } },
            new BsonDocument { { "_id", 2 }, { "ns", "app.orders" } },
            new BsonDocument { { "_id", 3 }, { "ns", "other.users" }, { "tags", new BsonArray { "z" } } },
        ]);
        var f = Builders<BsonDocument>.Filter;

        var ids = async (FilterDefinition<BsonDocument> filter) => (await coll.Find(filter).ToListAsync()).Select(d => d["_id"].AsInt32).ToList();

        Assert.Equal([1, 3], await ids(f.In("_id", [1, 3])));
        Assert.Equal([2, 3], await ids(f.Ne("_id", 1)));
        Assert.Equal([1, 3], await ids(f.Exists("tags")));
        Assert.Equal([1], await ids(f.Eq("tags", "y")));
        Assert.Equal([1, 2], await ids(f.Regex("ns", new BsonRegularExpression("^app\\."))));
        Assert.Equal([1, 3], await ids(f.Regex("ns", new BsonRegularExpression("USERS$", "i"))));
        Assert.Equal([2], await ids(f.Or(f.Eq("_id", 2), f.And(f.Gt("_id", 5), f.Lt("_id", 9)))));
    }

    [Fact]
    public async Task Unacknowledged_writes_get_no_reply_and_still_land()
    {
        var coll = target.NewDatabase("w0").GetCollection<BsonDocument>("c").WithWriteConcern(WriteConcern.Unacknowledged);
        await coll.InsertOneAsync(new BsonDocument("_id", 1));
        await coll.InsertOneAsync(new BsonDocument("_id", 2));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        long count;
        do
        {
            count = await coll.WithWriteConcern(WriteConcern.WMajority).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
        }
        while (count < 2 && DateTime.UtcNow < deadline);

        Assert.Equal(2, count);
    }

    [Fact]
    public async Task Array_operators_and_rename_change_documents_as_MongoDB_does()
    {
        var coll = target.NewDatabase("arrays").GetCollection<BsonDocument>("c");
        await coll.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "tags", new BsonArray { "a", "b", "c" } }, { "old", 1 } });
        var update = Builders<BsonDocument>.Update;

        await coll.UpdateOneAsync(new BsonDocument("_id", 1), update.AddToSet("tags", "a").Rename("old", "new"));
        await coll.UpdateOneAsync(new BsonDocument("_id", 1), update.AddToSetEach("tags", ["d", "b"]));
        await coll.UpdateOneAsync(new BsonDocument("_id", 1), update.Pull("tags", "b"));
        await coll.UpdateOneAsync(new BsonDocument("_id", 1), update.PopFirst("tags"));

        Assert.Equal(
            new BsonDocument { { "_id", 1 }, { "tags", new BsonArray { "c", "d" } }, { "new", 1 } },
            await coll.Find(new BsonDocument("_id", 1)).SingleAsync());
    }

    [Fact]
    public async Task Ids_of_mixed_types_sort_in_BSON_order_and_ranges_stay_within_one_type()
    {
        var coll = target.NewDatabase("mixed").GetCollection<BsonDocument>("c");
        var oid = ObjectId.GenerateNewId();
        await coll.InsertManyAsync([
            new BsonDocument("_id", "b"), new BsonDocument("_id", oid), new BsonDocument("_id", 3L),
            new BsonDocument("_id", 2.5), new BsonDocument("_id", "a"), new BsonDocument("_id", 1),
        ]);

        var all = (await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()).Select(d => d["_id"]).ToList();
        var above = (await coll.Find(Builders<BsonDocument>.Filter.Gt("_id", 1)).ToListAsync()).Select(d => d["_id"]).ToList();
        var strings = (await coll.Find(Builders<BsonDocument>.Filter.Gte("_id", "a")).ToListAsync()).Select(d => d["_id"]).ToList();

        Assert.Equal([new BsonInt32(1), new BsonDouble(2.5), new BsonInt64(3), new BsonString("a"), new BsonString("b"), new BsonObjectId(oid)], all);
        Assert.Equal([new BsonDouble(2.5), new BsonInt64(3)], above);
        Assert.Equal([new BsonString("a"), new BsonString("b")], strings);
    }
}
