using Archiver.Mongo.Backup;
using Archiver.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// What the restore tests start from: a database of one document, a logical backup of it, then padded inserts after
/// it, all archived from <c>start</c> on (each insert its own chunk, or all in as few as the archiver cuts).
/// </summary>
internal static class SmallHistory
{
    public static async Task WriteAsync(IMongoClient client, TestRepository repository, string source, OplogTimestamp start, int inserts, bool chunkPerInsert)
    {
        await using var run = new ArchiverRun(client, repository, o => o with { StartAfter = start });
        var c = client.GetDatabase(source).GetCollection<BsonDocument>("c");
        await c.InsertOneAsync(new BsonDocument("_id", 0));
        await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == source }).RunAsync();
        for (var i = 1; i <= inserts; i++)
        {
            await c.InsertOneAsync(new BsonDocument { { "_id", i }, { "pad", new string('p', 200) } });
            if (chunkPerInsert) await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
    }
}
