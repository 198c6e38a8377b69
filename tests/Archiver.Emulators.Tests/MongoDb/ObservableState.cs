using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// Everything a client can see of a replica set's data, read through the driver: per database its dbHash, its
/// listCollections entries (options, UUIDs, views, time series), each collection's indexes and documents (system
/// collections too: views, buckets, users, roles), and the oplog with its cap. Two sets that print the same hold the same.
/// </summary>
internal static class ObservableState
{
    private static readonly JsonWriterSettings Canonical = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson, Indent = true };

    public static async Task<string> CaptureAsync(IMongoClient client)
    {
        var state = new BsonDocument();
        foreach (var name in (await (await client.ListDatabaseNamesAsync()).ToListAsync()).Order(StringComparer.Ordinal))
        {
            var db = client.GetDatabase(name);
            var dump = new BsonDocument();
            if (name != "local")
            {
                var hash = await db.RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));
                dump.Add("dbHash", new BsonDocument { { "md5", hash["md5"] }, { "collections", hash["collections"] }, { "uuids", hash["uuids"] } });
            }

            var collections = await (await db.ListCollectionsAsync()).ToListAsync();
            dump.Add("collections", new BsonArray(collections.OrderBy(c => c["name"].AsString, StringComparer.Ordinal)));
            foreach (var collection in collections.Where(c => c["type"] != "view").Select(c => c["name"].AsString).Order(StringComparer.Ordinal))
            {
                var coll = db.GetCollection<BsonDocument>(collection);
                var documents = name == "local" && collection == "oplog.rs"
                    ? await coll.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()
                    : await coll.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync();
                var indexes = collection == "oplog.rs" ? [] : await (await coll.Indexes.ListAsync()).ToListAsync();
                dump.Add(collection, new BsonDocument { { "indexes", new BsonArray(indexes) }, { "documents", new BsonArray(documents) } });
            }

            if (name == "local")
            {
                var stats = await db.RunCommandAsync<BsonDocument>(new BsonDocument("collStats", "oplog.rs"));
                dump.Add("oplogMaxSize", stats["maxSize"]);
            }

            state.Add(name, dump);
        }

        return state.ToJson(Canonical);
    }
}
