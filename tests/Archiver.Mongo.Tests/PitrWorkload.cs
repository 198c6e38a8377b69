using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The random steps of the PITR property: each is one oplog entry (insert, update, delete, create, drop, a view's
/// creation or drop: an insert or delete in system.views) or one transaction (a partialTxn chain on the emulator), so every captured state is a point a restore can reach.
/// </summary>
internal static class PitrWorkload
{
    private static readonly string[] Collections = ["a", "b", "c"];

    public static async Task RunStepAsync(IMongoClient client, IMongoDatabase db, (int Kind, int Coll, int Key, int Value) step, Func<int> nextId)
    {
        var collection = db.GetCollection<BsonDocument>(Collections[step.Coll]);
        switch (step.Kind)
        {
            case 0 or 1 or 2:
                await collection.InsertOneAsync(new BsonDocument { { "_id", nextId() }, { "v", step.Value }, { "tag", $"t{step.Key}" } });
                break;
            case 3 or 4:
                await collection.UpdateOneAsync(
                    new BsonDocument("_id", step.Key),
                    step.Kind == 3 ? Builders<BsonDocument>.Update.Set("v", step.Value).Set("n.deep", step.Key) : Builders<BsonDocument>.Update.Inc("count", 1).Unset("tag"));
                break;
            case 5:
                await collection.DeleteOneAsync(new BsonDocument("_id", step.Key));
                break;
            case 6 or 7:
                await TransactionAsync(client, db, step, nextId);
                break;
            case 8:
                try
                {
                    await db.CreateCollectionAsync(Collections[step.Coll]);
                }
                catch (MongoCommandException e) when (e.Code == 48)
                {
                    // It exists already: nothing was written.
                }

                break;
            case 9:
                await db.DropCollectionAsync(Collections[step.Coll]);
                break;
            case 10:
                try
                {
                    await db.CreateViewAsync<BsonDocument, BsonDocument>(
                        $"v{step.Coll}", Collections[step.Coll], new BsonDocument[] { new("$match", new BsonDocument("v", new BsonDocument("$gte", step.Value))) });
                }
                catch (MongoCommandException e) when (e.Code == 48)
                {
                    // It exists already: nothing was written.
                }

                break;
            default:
                await db.DropCollectionAsync($"v{step.Coll}");
                break;
        }
    }

    private static async Task TransactionAsync(IMongoClient client, IMongoDatabase db, (int Kind, int Coll, int Key, int Value) step, Func<int> nextId)
    {
        using var session = await client.StartSessionAsync();
        session.StartTransaction();
        for (var i = 0; i < 2 + (step.Value % 3); i++)
        {
            var collection = db.GetCollection<BsonDocument>(Collections[(step.Coll + i) % Collections.Length]);
            if (i % 2 == 0)
            {
                await collection.InsertOneAsync(session, new BsonDocument { { "_id", nextId() }, { "txn", step.Value } });
            }
            else
            {
                await collection.UpdateOneAsync(session, new BsonDocument("_id", step.Key), Builders<BsonDocument>.Update.Set("inTxn", i));
            }
        }

        await session.CommitTransactionAsync();
    }
}
