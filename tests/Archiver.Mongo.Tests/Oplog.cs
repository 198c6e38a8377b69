using Archiver.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>Reads the source's oplog for assertions.</summary>
internal static class Oplog
{
    public static IMongoCollection<BsonDocument> Collection(IMongoClient client) =>
        client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs");

    public static async Task<OplogTimestamp> NewestAsync(IMongoClient client)
    {
        var newest = await Collection(client).Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync();
        return OplogFields.ToStorage(newest["ts"].AsBsonTimestamp);
    }

    /// <summary>Entries after <paramref name="after"/> up to <paramref name="upTo"/>, raw, in order.</summary>
    public static async Task<List<RawBsonDocument>> RangeAsync(IMongoClient client, OplogTimestamp after, OplogTimestamp upTo)
    {
        var filter = new BsonDocument("ts", new BsonDocument { { "$gt", OplogFields.ToBson(after) }, { "$lte", OplogFields.ToBson(upTo) } });
        return await client.GetDatabase("local").GetCollection<RawBsonDocument>("oplog.rs").Find(filter).ToListAsync();
    }
}
