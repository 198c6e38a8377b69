using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Time-series collections: real ones on a real server; on the emulator (which has none), the entries MongoDB 5.0-7.0
/// logs for them, written through applyOps: the buckets collection's create, the view over it in system.views (made
/// the first time), and bucket inserts.
/// </summary>
internal static class TimeSeries
{
    public static async Task CreateAsync(IMongoClient client, string database, string name)
    {
        if (MongoTarget.RealServerUri is not null)
        {
            await client.GetDatabase(database).CreateCollectionAsync(name, new CreateCollectionOptions { TimeSeriesOptions = new TimeSeriesOptions("at") });
            return;
        }

        var options = new BsonDocument { { "timeField", "at" }, { "granularity", "seconds" }, { "bucketMaxSpanSeconds", 3600 } };
        await ApplyAsync(client, new BsonDocument
        {
            { "op", "c" },
            { "ns", $"{database}.$cmd" },
            { "o", new BsonDocument { { "create", $"system.buckets.{name}" }, { "clusteredIndex", true }, { "timeseries", options } } },
        });
        try
        {
            // The first view of a database makes its system.views.
            await ApplyAsync(client, new BsonDocument { { "op", "c" }, { "ns", $"{database}.$cmd" }, { "o", new BsonDocument("create", "system.views") } });
        }
        catch (MongoCommandException e) when (e.Code == 48)
        {
            // There already.
        }

        await ApplyAsync(client, new BsonDocument
        {
            { "op", "i" },
            { "ns", $"{database}.system.views" },
            { "o", new BsonDocument { { "_id", $"{database}.{name}" }, { "viewOn", $"system.buckets.{name}" }, { "pipeline", new BsonArray { new BsonDocument("$_internalUnpackBucket", options) } } } },
        });
    }

    public static async Task InsertAsync(IMongoClient client, string database, string name, int value)
    {
        if (MongoTarget.RealServerUri is not null)
        {
            await client.GetDatabase(database).GetCollection<BsonDocument>(name).InsertOneAsync(new BsonDocument { { "at", DateTime.UtcNow }, { "v", value } });
            return;
        }

        await ApplyAsync(client, new BsonDocument
        {
            { "op", "i" },
            { "ns", $"{database}.system.buckets.{name}" },
            { "o", new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "control", new BsonDocument("version", 1) }, { "data", new BsonDocument("v", new BsonDocument("0", value)) } } },
        });
    }

    public static async Task DropAsync(IMongoClient client, string database, string name)
    {
        if (MongoTarget.RealServerUri is not null)
        {
            await client.GetDatabase(database).DropCollectionAsync(name);
            return;
        }

        await ApplyAsync(client, new BsonDocument { { "op", "c" }, { "ns", $"{database}.$cmd" }, { "o", new BsonDocument("drop", $"system.buckets.{name}") } });
        await ApplyAsync(client, new BsonDocument { { "op", "d" }, { "ns", $"{database}.system.views" }, { "o", new BsonDocument("_id", $"{database}.{name}") } });
    }

    private static Task ApplyAsync(IMongoClient client, BsonDocument op) =>
        client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray { op }));
}
