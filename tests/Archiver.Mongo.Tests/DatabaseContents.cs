using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// One database's contents read through the driver (collections, options, index names, documents in <c>_id</c>
/// order as bytes; views' definitions), so a restored database can be compared with its source on the emulator and on a real server.
/// </summary>
internal sealed record DatabaseContents(SortedDictionary<string, string> Collections)
{
    public static async Task<DatabaseContents> ReadAsync(IMongoClient client, string database)
    {
        var db = client.GetDatabase(database);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var infos = await (await db.ListCollectionsAsync()).ToListAsync();
        foreach (var info in infos.Where(i => !i["name"].AsString.StartsWith("system.", StringComparison.Ordinal)))
        {
            var name = info["name"].AsString;
            if (info.GetValue("type", "collection") == "view")
            {
                // A view is its definition; reading it would run its pipeline.
                result[name] = $"view options={info["options"].ToJson()}";
                continue;
            }

            var collection = db.GetCollection<BsonDocument>(name);
            var documents = await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync();
            var indexes = (await (await collection.Indexes.ListAsync()).ToListAsync()).Select(i => i["name"].AsString).Order(StringComparer.Ordinal);
            var options = info.GetValue("options", new BsonDocument()).ToJson();
            result[name] = $"options={options} indexes=[{string.Join(",", indexes)}] docs=[{string.Join(",", documents.Select(d => Convert.ToHexString(d.ToBson())))}]";
        }

        return new DatabaseContents(result);
    }

    public string Describe() => string.Join("\n", Collections.Select(c => $"{c.Key}: {c.Value}"));

    public bool SameAs(DatabaseContents other) => Describe() == other.Describe();
}
