using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The emulator's time-series collections, through the real driver: made, written, read, listed and dropped as on
/// MongoDB 5.0-7.x, with the oplog entries such a server writes (the buckets' create, the view in system.views,
/// bucket inserts and <c>$v: 2</c> bucket updates on <c>db.system.buckets.name</c>).
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class TimeSeriesEmulatorTests : IClassFixture<MongoTarget>
{
    private static readonly DateTime Start = new(2026, 3, 1, 10, 0, 30, DateTimeKind.Utc);

    private readonly MongoTarget _mongo;

    public TimeSeriesEmulatorTests(MongoTarget mongo) => _mongo = mongo;

    [EmulatorOnlyFact]
    public async Task Create_makes_clustered_buckets_and_a_view_listed_as_timeseries_with_its_options_and_logs_both()
    {
        var db = MongoTarget.NewDatabaseName("tscreate");
        var before = await Oplog.NewestAsync(_mongo.Client);
        await TimeSeries.CreateAsync(_mongo.Client, db, "weather", "minutes", expireAfterSeconds: 86400);

        var info = await TimeSeries.InfoAsync(_mongo.Client, db, "weather");
        Assert.NotNull(info);
        Assert.Equal("timeseries", info["type"].AsString);
        Assert.Equal(
            "{ \"timeseries\" : { \"timeField\" : \"at\", \"metaField\" : \"sensor\", \"granularity\" : \"minutes\", \"bucketMaxSpanSeconds\" : 86400 }, \"expireAfterSeconds\" : 86400 }",
            info["options"].ToJson());
        Assert.Equal(BsonType.Int64, info["options"]["expireAfterSeconds"].BsonType);
        var buckets = await TimeSeries.InfoAsync(_mongo.Client, db, "system.buckets.weather");
        Assert.NotNull(buckets);
        Assert.True(buckets["options"]["clusteredIndex"].AsBoolean);

        var entries = (await Oplog.RangeAsync(_mongo.Client, before, await Oplog.NewestAsync(_mongo.Client))).Select(e => BsonSerializer(e)).ToList();
        var create = Assert.Single(entries, e => e["op"] == "c" && e["o"].AsBsonDocument.GetValue("create", "") == "system.buckets.weather");
        Assert.Equal($"{db}.$cmd", create["ns"].AsString);
        Assert.False(create["o"].AsBsonDocument.Contains("idIndex"));
        Assert.True(create["o"]["clusteredIndex"].AsBoolean);
        Assert.Equal("minutes", create["o"]["timeseries"]["granularity"].AsString);
        Assert.True(create["o"].AsBsonDocument.Contains("validator"));
        var view = Assert.Single(entries, e => e["op"] == "i" && e["ns"] == $"{db}.system.views");
        Assert.Equal($"{db}.weather", view["o"]["_id"].AsString);
        Assert.Equal("system.buckets.weather", view["o"]["viewOn"].AsString);
        Assert.Equal("at", view["o"]["pipeline"][0]["$_internalUnpackBucket"]["timeField"].AsString);

        var again = await Assert.ThrowsAsync<MongoCommandException>(() => TimeSeries.CreateAsync(_mongo.Client, db, "weather"));
        Assert.Equal(48, again.Code);
    }

    [EmulatorOnlyFact]
    public async Task Inserts_become_a_bucket_insert_then_diff_updates_per_meta_value_and_find_unpacks_them()
    {
        var db = MongoTarget.NewDatabaseName("tsinsert");
        await TimeSeries.CreateAsync(_mongo.Client, db, "weather");
        var before = await Oplog.NewestAsync(_mongo.Client);
        var first = await TimeSeries.InsertAsync(_mongo.Client, db, "weather", 1, "s1", Start);
        var second = await TimeSeries.InsertAsync(_mongo.Client, db, "weather", 5, "s1", Start.AddSeconds(10));
        var other = await TimeSeries.InsertAsync(_mongo.Client, db, "weather", 3, "s2", Start.AddSeconds(20));
        // More than an hour (the seconds granularity's span) after the first bucket's start: a new bucket.
        var later = await TimeSeries.InsertAsync(_mongo.Client, db, "weather", 7, "s1", Start.AddHours(2));

        var entries = (await Oplog.RangeAsync(_mongo.Client, before, await Oplog.NewestAsync(_mongo.Client))).Select(e => BsonSerializer(e)).ToList();
        Assert.All(entries, e => Assert.Equal($"{db}.system.buckets.weather", e["ns"].AsString));
        Assert.Equal(["i", "u", "i", "i"], entries.Select(e => e["op"].AsString));
        var bucket = entries[0]["o"].AsBsonDocument;
        Assert.Equal(["_id", "control", "meta", "data"], bucket.Names);
        Assert.Equal("s1", bucket["meta"].AsString);
        Assert.Equal(1, bucket["control"]["version"].ToInt32());
        // control.min's time is rounded down to the minute (bucketRoundingSeconds 60); the bucket's _id carries it.
        Assert.Equal(new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc), bucket["control"]["min"]["at"].ToUniversalTime());
        Assert.Equal(new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc), bucket["_id"].AsObjectId.CreationTime);
        Assert.Equal(1, bucket["data"]["v"]["0"].ToInt32());
        Assert.False(bucket["data"].AsBsonDocument.Contains("sensor"));
        var update = entries[1];
        Assert.Equal(2, update["o"]["$v"].ToInt32());
        Assert.Equal(bucket["_id"], update["o2"]["_id"]);
        Assert.Equal(5, update["o"]["diff"]["sdata"]["sv"]["i"]["1"].ToInt32());
        Assert.Equal(5, update["o"]["diff"]["scontrol"]["smax"]["u"]["v"].ToInt32());

        var all = await TimeSeries.MeasurementsAsync(_mongo.Client, db, "weather");
        Assert.Equal(new[] { first, second, other, later }.Select(TimeSeries.Canonical).Order(StringComparer.Ordinal), all);
        var filtered = await TimeSeries.MeasurementsAsync(_mongo.Client, db, "weather", Builders<BsonDocument>.Filter.Gt("v", 2) & Builders<BsonDocument>.Filter.Eq("sensor", "s1"));
        Assert.Equal(new[] { second, later }.Select(TimeSeries.Canonical).Order(StringComparer.Ordinal), filtered);
    }

    [EmulatorOnlyFact]
    public async Task A_measurement_without_its_time_field_is_refused_and_dropping_the_view_drops_the_buckets()
    {
        var db = MongoTarget.NewDatabaseName("tsdrop");
        await TimeSeries.CreateAsync(_mongo.Client, db, "weather");
        var weather = _mongo.Client.GetDatabase(db).GetCollection<BsonDocument>("weather");
        await Assert.ThrowsAsync<MongoWriteException>(() => weather.InsertOneAsync(new BsonDocument("v", 1)));

        await TimeSeries.InsertAsync(_mongo.Client, db, "weather", 1);
        await TimeSeries.DropAsync(_mongo.Client, db, "weather");

        Assert.Null(await TimeSeries.InfoAsync(_mongo.Client, db, "weather"));
        Assert.Null(await TimeSeries.InfoAsync(_mongo.Client, db, "system.buckets.weather"));
    }

    private static BsonDocument BsonSerializer(RawBsonDocument raw) => MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(raw.ToBson());
}
