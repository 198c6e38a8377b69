using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>Reads <c>local.oplog.rs</c> through the driver, as the archiver will.</summary>
internal static class OplogReader
{
    public static IMongoCollection<BsonDocument> Oplog(IMongoClient client) =>
        client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs");

    public static async Task<BsonTimestamp> NewestTimestampAsync(IMongoClient client)
    {
        var newest = await Oplog(client).Find(new BsonDocument()).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync();
        return newest["ts"].AsBsonTimestamp;
    }

    /// <summary>Entries after <paramref name="after"/> that concern <paramref name="database"/> (CRUD, commands, transactions).</summary>
    public static async Task<List<BsonDocument>> EntriesAsync(IMongoClient client, BsonTimestamp after, string database)
    {
        var all = await Oplog(client).Find(new BsonDocument("ts", new BsonDocument("$gt", after))).ToListAsync();
        return all.Where(e => Concerns(e, database)).ToList();
    }

    private static bool Concerns(BsonDocument entry, string database)
    {
        var ns = entry["ns"].AsString;
        if (ns.StartsWith(database + ".", StringComparison.Ordinal))
        {
            return true;
        }

        return entry["o"].AsBsonDocument.TryGetValue("applyOps", out var ops)
            && ops.AsBsonArray.Any(op => op["ns"].AsString.StartsWith(database + ".", StringComparison.Ordinal));
    }
}
