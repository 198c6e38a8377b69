using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The replay with several writers (<see cref="RestoreOptions.ReplayWriters"/>) restores what one writer does, a capped
/// collection's order included, and a restore stopped at any of its commands, a round's batches part applied and part
/// not, resumes to the same.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class ParallelReplayRestoreTests
{
    [EmulatorOnlyFact]
    public async Task Several_writers_restore_what_one_does_and_a_restore_stopped_mid_round_resumes_to_the_same()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        using var repository = new TestRepository();
        var client = session.Client;
        var shop = client.GetDatabase("shop");
        var orders = shop.GetCollection<BsonDocument>("orders");
        await orders.InsertManyAsync(Enumerable.Range(0, 8).Select(i => new BsonDocument { { "_id", i }, { "n", 0 } }));
        await shop.CreateCollectionAsync("log", new CreateCollectionOptions { Capped = true, MaxSize = 1 << 20, MaxDocuments = 6 });
        await using (var run = new ArchiverRun(client, repository))
        {
            await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == "shop" }).RunAsync();
            var log = shop.GetCollection<BsonDocument>("log");
            var random = new Random(3);
            for (var i = 0; i < 40; i++)
            {
                var id = random.Next(8);
                await (random.Next(4) switch
                {
                    0 => (Task)orders.DeleteOneAsync(new BsonDocument("_id", id)),
                    1 => orders.ReplaceOneAsync(new BsonDocument("_id", id), new BsonDocument { { "_id", id }, { "n", i } }, new ReplaceOptions { IsUpsert = true }),
                    _ => orders.UpdateOneAsync(new BsonDocument("_id", id), new BsonDocument("$inc", new BsonDocument("n", 1))),
                });
                if (i % 3 == 0)
                {
                    // More inserts than the cap: which survive depends on their order.
                    await log.InsertOneAsync(new BsonDocument { { "_id", 1000 - i }, { "at", i } });
                }
            }

            await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        var expected = await ContentsAsync(client, "shop");
        var uri = session.Emulator.ConnectionString;
        RestoreOptions Into(string name, int writers) => new()
        {
            IncludeDatabase = d => d == "shop",
            MapDatabase = _ => name,
            OwnsTargetDatabase = d => d == name,
            BatchSize = 8,
            ReplayWriters = writers,
        };

        await new RestoreExecutor(repository.Store, repository.Layout, client, Into("shop_one", 1)).RunAsync(RecoveryTarget.Latest);
        Assert.Equal(expected, await ContentsAsync(client, "shop_one"));
        var (commands, _) = await CutOffRestore.CountAsync(uri, repository, Into("shop_four", 4), RecoveryTarget.Latest);
        Assert.Equal(expected, await ContentsAsync(client, "shop_four"));

        for (var at = 1; at <= commands; at++)
        {
            var name = $"shop_cut{at}";
            var options = Into(name, 4);
            var finished = await CutOffRestore.RunAsync(uri, repository, options, RecoveryTarget.Latest, at);
            var marker = (await RestoreMarker.ListAsync(client)).SingleOrDefault(m => m["_id"] == options.RestoreId);
            var report = finished ?? await new RestoreExecutor(repository.Store, repository.Layout, client, options).RunAsync(RecoveryTarget.Latest);
            Assert.True(expected == await ContentsAsync(client, name), $"stopped at command {at} of {commands}");
            Assert.Equal(marker is not null && finished is null, report.Resumed);
            await client.DropDatabaseAsync(name);
        }
    }

    /// <summary>The database's contents, and the capped collection's documents in their natural (insertion) order.</summary>
    private static async Task<string> ContentsAsync(IMongoClient client, string database)
    {
        var contents = await DatabaseContents.ReadAsync(client, database);
        var log = await client.GetDatabase(database).GetCollection<BsonDocument>("log").Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
        return contents.Describe() + "\nnatural order: " + string.Join(",", log.Select(d => d["_id"]));
    }
}
