using Archiver.Emulators.MongoDb;
using CsCheck;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// The emulator's oplog is a faithful log of its data: replaying it with applyOps up to any point rebuilds the
/// data exactly as captured at that point. This is the property the restore executor's PITR tests stand on.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class ReplayProperties
{
    // Canonical JSON keeps numeric types apart (Int32 1 vs Int64 1), as dbHash would.
    private static readonly JsonWriterSettings Canonical = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson };

    private static readonly Gen<(int Kind, int Key, int Value)> Step = Gen.Select(Gen.Int[0, 8], Gen.Int[0, 6], Gen.Int[0, 3]);

    [EmulatorOnlyFact]
    public async Task Replaying_the_oplog_up_to_any_captured_point_rebuilds_the_data_as_captured()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, TransactionEntryMaxOperations = 2 });
        await Step.Array[5, 30].SampleAsync(
            async steps =>
            {
                var run = Guid.NewGuid().ToString("N")[..8];
                var source = session.Client.GetDatabase($"src_{run}");
                var target = $"dst_{run}";
                var start = session.Emulator.LastAppliedTimestamp;
                var captures = new List<MongoDataSnapshot>();
                foreach (var step in steps)
                {
                    await RunStepAsync(session.Client, source, step);
                    captures.Add(session.Emulator.CaptureData());
                }

                var entries = await OplogReader.EntriesAsync(session.Client, start, source.DatabaseNamespace.DatabaseName);
                var applied = 0;
                foreach (var capture in captures)
                {
                    var next = entries.Skip(applied).TakeWhile(e => e["ts"].AsBsonTimestamp.CompareTo(capture.At) <= 0).ToList();
                    await OplogReplay.ApplyAsync(session.Client, next, source.DatabaseNamespace.DatabaseName, target);
                    applied += next.Count;
                    var expected = capture.Databases.GetValueOrDefault(source.DatabaseNamespace.DatabaseName);
                    var actual = session.Emulator.CaptureData().Databases.GetValueOrDefault(target);
                    Assert.Equal(Describe(expected), Describe(actual));
                }

                await session.Client.DropDatabaseAsync(source.DatabaseNamespace.DatabaseName);
                await session.Client.DropDatabaseAsync(target);
            },
            iter: 25,
            threads: 1);
    }

    private static async Task RunStepAsync(IMongoClient client, IMongoDatabase db, (int Kind, int Key, int Value) step)
    {
        var a = db.GetCollection<BsonDocument>("a");
        var b = db.GetCollection<BsonDocument>("b");
        var id = new BsonDocument("_id", step.Key);
        switch (step.Kind)
        {
            case 0:
                await a.UpdateOneAsync(id, Builders<BsonDocument>.Update.SetOnInsert("v", step.Value), new UpdateOptions { IsUpsert = true });
                break;
            case 1:
                await a.UpdateOneAsync(id, Builders<BsonDocument>.Update.Set("v", step.Value).Set("n.deep", step.Key));
                break;
            case 2:
                await b.UpdateOneAsync(id, Builders<BsonDocument>.Update.Inc("count", 1), new UpdateOptions { IsUpsert = true });
                break;
            case 3:
                await a.DeleteOneAsync(id);
                break;
            case 4:
                await b.ReplaceOneAsync(id, new BsonDocument { { "whole", step.Value }, { "list", new BsonArray { 1, 2 } } }, new ReplaceOptions { IsUpsert = true });
                break;
            case 5:
                await b.UpdateOneAsync(id, Builders<BsonDocument>.Update.Push("list", step.Value).Unset("count"));
                break;
            case 6:
                await a.InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "v", 1.5 } });
                break;
            case 7:
                await TransactionAsync(client, a, b, step);
                break;
            default:
                var name = $"c{step.Key % 2}";
                if (step.Value % 2 == 0)
                {
                    await db.GetCollection<BsonDocument>(name).InsertOneAsync(new BsonDocument("k", step.Value));
                }
                else
                {
                    await db.DropCollectionAsync(name);
                }

                break;
        }
    }

    private static async Task TransactionAsync(IMongoClient client, IMongoCollection<BsonDocument> a, IMongoCollection<BsonDocument> b, (int Kind, int Key, int Value) step)
    {
        using var session = await client.StartSessionAsync();
        session.StartTransaction();
        await a.UpdateOneAsync(session, new BsonDocument("_id", step.Key + 100), Builders<BsonDocument>.Update.Set("t", step.Value), new UpdateOptions { IsUpsert = true });
        await b.UpdateOneAsync(session, new BsonDocument("_id", step.Key), Builders<BsonDocument>.Update.Inc("count", 10), new UpdateOptions { IsUpsert = true });
        await a.DeleteOneAsync(session, new BsonDocument("_id", step.Key));
        if (step.Value == 0)
        {
            await session.AbortTransactionAsync();
            return;
        }

        await session.CommitTransactionAsync();
    }

    private static string Describe(IReadOnlyDictionary<string, IReadOnlyList<BsonDocument>>? database) =>
        database is null
            ? "{}"
            : string.Join("\n", database.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {string.Join(", ", c.Value.Select(d => d.ToJson(Canonical)))}"));
}
