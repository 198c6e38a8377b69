using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Time-series collections made and written as an application does (<c>create</c> with <c>timeseries</c>, inserts
/// into the collection), on the emulator and on a real server alike, and read back as measurements.
/// </summary>
internal static class TimeSeries
{
    public const string TimeField = "at";
    public const string MetaField = "sensor";

    public static Task CreateAsync(IMongoClient client, string database, string name, string granularity = "seconds", long? expireAfterSeconds = null) =>
        client.GetDatabase(database).CreateCollectionAsync(name, new CreateCollectionOptions
        {
            TimeSeriesOptions = new TimeSeriesOptions(TimeField, MetaField, granularity == "minutes" ? TimeSeriesGranularity.Minutes : TimeSeriesGranularity.Seconds),
            ExpireAfter = expireAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        });

    /// <summary>Inserts one measurement <c>{at, sensor, v}</c> and returns it as stored (with its <c>_id</c>).</summary>
    public static async Task<BsonDocument> InsertAsync(IMongoClient client, string database, string name, int value, string sensor = "s1", DateTime? at = null)
    {
        var measurement = new BsonDocument
        {
            { "_id", ObjectId.GenerateNewId() },
            { TimeField, new BsonDateTime(at ?? DateTime.UtcNow) },
            { MetaField, sensor },
            { "v", value },
        };
        await client.GetDatabase(database).GetCollection<BsonDocument>(name).InsertOneAsync(measurement);
        return measurement;
    }

    public static Task DropAsync(IMongoClient client, string database, string name) =>
        client.GetDatabase(database).DropCollectionAsync(name);

    /// <summary>The collection's measurements, each as JSON with its fields in name order, sorted: comparable whatever order the server unpacks fields in.</summary>
    public static async Task<List<string>> MeasurementsAsync(IMongoClient client, string database, string name, FilterDefinition<BsonDocument>? filter = null)
    {
        var found = await client.GetDatabase(database).GetCollection<BsonDocument>(name).Find(filter ?? FilterDefinition<BsonDocument>.Empty).ToListAsync();
        return [.. found.Select(Canonical).Order(StringComparer.Ordinal)];
    }

    public static string Canonical(BsonDocument measurement) =>
        new BsonDocument(measurement.OrderBy(e => e.Name, StringComparer.Ordinal)).ToJson();

    /// <summary>The listCollections entry of <paramref name="name"/>, or null.</summary>
    public static async Task<BsonDocument?> InfoAsync(IMongoClient client, string database, string name)
    {
        var listed = await (await client.GetDatabase(database).ListCollectionsAsync(new ListCollectionsOptions { Filter = new BsonDocument("name", name) })).ToListAsync();
        return listed.SingleOrDefault();
    }
}
