using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Events;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A restore stopped at any one of its commands (its node killed, its connection lost) and run again with the same
/// id takes up where it stopped and restores exactly what an unbroken run does: stopped while loading, while replaying,
/// between a batch and its checkpoint, and inside a transaction whose entries span several chunks (the emulator logs
/// each of its operations as an entry of its own, and every entry is a chunk of its own). With a batch of two, a
/// checkpoint comes every other chunk, not at each chunk's end: stops fall between chunks with none, and the resumed
/// run reads again the chunks since the last one.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class RestoreResumeTests
{
    [EmulatorOnlyFact]
    public async Task A_restore_stopped_at_any_of_its_commands_resumes_and_restores_exactly_what_an_unbroken_one_does()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, TransactionEntryMaxOperations = 1 });
        using var repository = new TestRepository();
        var client = session.Client;
        var shop = client.GetDatabase("shop");
        var orders = shop.GetCollection<BsonDocument>("orders");
        await orders.InsertManyAsync(Enumerable.Range(0, 5).Select(i => new BsonDocument { { "_id", i }, { "n", 0 } }));
        await shop.GetCollection<BsonDocument>("customers").InsertOneAsync(new BsonDocument("_id", "ada"));
        await using (var run = new ArchiverRun(client, repository, o => o with { ChunkMaxBytes = 1 }))
        {
            await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == "shop" }).RunAsync();
            await orders.InsertOneAsync(new BsonDocument("_id", 10));
            using (var txn = await client.StartSessionAsync())
            {
                txn.StartTransaction();
                for (var i = 0; i < 3; i++)
                {
                    await orders.UpdateOneAsync(txn, new BsonDocument("_id", i), new BsonDocument("$inc", new BsonDocument("n", 1)));
                }

                await shop.GetCollection<BsonDocument>("audit").InsertOneAsync(txn, new BsonDocument("_id", "t1"));
                await txn.CommitTransactionAsync();
            }

            await shop.CreateCollectionAsync("later");
            await orders.DeleteOneAsync(new BsonDocument("_id", 4));
            await orders.UpdateOneAsync(new BsonDocument("_id", 10), new BsonDocument("$set", new BsonDocument("n", 5)));
            await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        var expected = await DatabaseContents.ReadAsync(client, "shop");
        var uri = session.Emulator.ConnectionString;
        RestoreOptions Into(string name) => new()
        {
            IncludeDatabase = d => d == "shop",
            MapDatabase = _ => name,
            OwnsTargetDatabase = d => d == name,

            // Its lineage (the default) is what tells a run stopped just after the marker went that the restore finished.
            BatchSize = 2,
        };
        var (commands, unbroken) = await CutOffRestore.CountAsync(uri, repository, Into("shop_whole"), RecoveryTarget.Latest);
        Assert.True(expected.SameAs(await DatabaseContents.ReadAsync(client, "shop_whole")), "the unbroken restore differs from the source");
        Assert.Equal(1, unbroken.TransactionsApplied);

        var stoppedInsideTheTransaction = 0;
        for (var at = 1; at <= commands; at++)
        {
            var name = $"shop_cut{at}";
            var options = Into(name);
            var finished = await CutOffRestore.RunAsync(uri, repository, options, RecoveryTarget.Latest, at);
            var marker = (await RestoreMarker.ListAsync(client)).SingleOrDefault(m => m["_id"] == options.RestoreId);
            if (marker?.GetValue("replay", BsonNull.Value) is BsonDocument replay && replay["readFrom"].AsBsonTimestamp < replay["appliedTo"].AsBsonTimestamp)
            {
                stoppedInsideTheTransaction++;
            }

            var report = finished ?? await new RestoreExecutor(repository.Store, repository.Layout, client, options).RunAsync(RecoveryTarget.Latest);
            var actual = await DatabaseContents.ReadAsync(client, name);
            Assert.True(expected.SameAs(actual), $"stopped at command {at} of {commands} (marker then: {marker?.ToJson() ?? "none"}):\nexpected\n{expected.Describe()}\nactual\n{actual.Describe()}");
            Assert.Equal(marker is not null && finished is null, report.Resumed);
            Assert.Equal(unbroken.ReachedTs, report.ReachedTs);
            await client.DropDatabaseAsync(name);
        }

        Assert.True(stoppedInsideTheTransaction > 0, "no stop fell inside the transaction's span: the test no longer tests resuming there");
    }
    [EmulatorOnlyFact]
    public async Task Inserts_a_stopped_run_sent_that_land_after_the_resumed_run_began_its_load_again_change_nothing()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        using var repository = new TestRepository();
        var client = session.Client;
        var shop = client.GetDatabase("shop");
        // Options an insert's implicit create would not give the collection.
        await shop.CreateCollectionAsync("orders", new CreateCollectionOptions<BsonDocument> { Validator = new BsonDocument("n", new BsonDocument("$exists", true)) });
        var orders = shop.GetCollection<BsonDocument>("orders");
        var documents = Enumerable.Range(0, 40).Select(i => new BsonDocument { { "_id", i }, { "n", i } }).ToList();
        await orders.InsertManyAsync(documents);
        await using (var run = new ArchiverRun(client, repository))
        {
            await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == "shop" }).RunAsync();
            await orders.UpdateOneAsync(new BsonDocument("_id", 3), new BsonDocument("$set", new BsonDocument("n", 300)));
            await orders.DeleteOneAsync(new BsonDocument("_id", 7));
            await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        var expected = await DatabaseContents.ReadAsync(client, "shop");
        var options = new RestoreOptions { IncludeDatabase = d => d == "shop", MapDatabase = _ => "restored", OwnsTargetDatabase = d => d == "restored", BatchSize = 10 };
        var uri = session.Emulator.ConnectionString;
        var (commands, _) = await CutOffRestore.CountAsync(uri, repository, options with { RestoreId = "count" }, RecoveryTarget.Latest);
        await client.DropDatabaseAsync("restored");

        // Stopped in its load: the marker is there, orders not loaded whole.
        var cutAt = 0;
        for (var at = 1; at <= commands && cutAt == 0; at++)
        {
            await client.DropDatabaseAsync("restored");
            await client.DropDatabaseAsync(RestoreMarker.Database);
            await CutOffRestore.RunAsync(uri, repository, options, RecoveryTarget.Latest, at);
            var marker = (await RestoreMarker.ListAsync(client)).SingleOrDefault(m => m["_id"] == options.RestoreId);
            if (marker is not null && marker.GetValue("loaded", new BsonArray()).AsBsonArray.Count == 0 && (await client.GetDatabase("restored").ListCollectionNamesAsync().Result.ToListAsync()).Contains("orders"))
            {
                cutAt = at;
            }
        }

        Assert.True(cutAt > 0, "no cut fell inside the load of orders");

        // What the stopped run sent lands late: once right after the resumed run dropped orders (the insert makes it
        // again, without its validator), and once after it made orders again (the same documents, before its own).
        var late = TestClients.Create(uri, s => s.ApplicationName = "stopped-run");
        var (landed, drops, creates) = (0, 0, 0);
        var resumedClient = TestClients.Create(uri, s => s.ClusterConfigurator = c => c.Subscribe<CommandSucceededEvent>(e =>
        {
            if ((e.CommandName == "drop" && Interlocked.Increment(ref drops) == 1) || (e.CommandName == "create" && Interlocked.Increment(ref creates) == 1))
            {
                Interlocked.Increment(ref landed);
                late.GetDatabase("restored").GetCollection<BsonDocument>("orders").InsertMany(documents.Take(15).Select(d => d.DeepClone().AsBsonDocument));
            }
        }));
        try
        {
            var report = await new RestoreExecutor(repository.Store, repository.Layout, resumedClient, options).RunAsync(RecoveryTarget.Latest);
            Assert.True(report.Resumed);
        }
        finally
        {
            TestClients.Dispose(resumedClient);
            TestClients.Dispose(late);
        }

        Assert.True(landed >= 2, "the late inserts did not land where the test meant them to");
        var actual = await DatabaseContents.ReadAsync(client, "restored");
        Assert.True(expected.SameAs(actual), $"expected\n{expected.Describe()}\nactual\n{actual.Describe()}");
    }
}
