using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A transaction logged as a partialTxn chain (the emulator splits it every two operations) is restored whole
/// when its commit is at or before the target, and not at all otherwise.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class TransactionRestoreTests
{
    [EmulatorOnlyFact]
    public async Task A_transaction_is_restored_whole_if_and_only_if_its_commit_is_at_or_before_the_target()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, TransactionEntryMaxOperations = 2 });
        using var repository = new TestRepository();
        var client = session.Client;
        await using var run = new ArchiverRun(client, repository);
        var c = client.GetDatabase("shop").GetCollection<BsonDocument>("c");
        await c.InsertOneAsync(new BsonDocument("_id", 0L));
        await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1 }).RunAsync();
        var beforeTransaction = OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp);
        using (var txn = await client.StartSessionAsync())
        {
            txn.StartTransaction();
            for (var i = 1L; i <= 5; i++)
            {
                await c.InsertOneAsync(txn, new BsonDocument("_id", i));
            }

            await client.GetDatabase("shop").GetCollection<BsonDocument>("made_in_txn").InsertOneAsync(txn, new BsonDocument("_id", "new"));
            await txn.CommitTransactionAsync();
        }

        await c.InsertOneAsync(new BsonDocument("_id", 6L));
        var chain = (await Oplog.RangeAsync(client, beforeTransaction, OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp)))
            .Select(d => MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(d.ToBson()))
            .Where(d => d.Contains("lsid") && d["o"].AsBsonDocument.Contains("applyOps"))
            .ToList();
        Assert.True(chain.Count >= 3, "the transaction must be logged as a chain");
        var firstPartial = OplogFields.ToStorage(chain[0]["ts"].AsBsonTimestamp);
        var commit = OplogFields.ToStorage(chain[^1]["ts"].AsBsonTimestamp);
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));

        var (insideIds, inside) = await RestoreAsync(session, repository, "inside", RecoveryTarget.AtTs(firstPartial));
        var (atCommitIds, atCommit) = await RestoreAsync(session, repository, "commit", RecoveryTarget.AtTs(commit));
        var (justBeforeIds, _) = await RestoreAsync(session, repository, "before", RecoveryTarget.AtTs(commit, exclusive: true));

        Assert.Equal(new long[] { 0 }, insideIds);
        Assert.Equal(1, inside.TransactionsNotCommittedAtTarget);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5 }, atCommitIds);
        Assert.Equal(1, atCommit.TransactionsApplied);
        Assert.Equal(1, await client.GetDatabase("commit").GetCollection<BsonDocument>("made_in_txn").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Equal(new long[] { 0 }, justBeforeIds);
    }

    private static async Task<(long[] Ids, RestoreReport Report)> RestoreAsync(EmulatorSession session, TestRepository repository, string into, RecoveryTarget target)
    {
        var options = new RestoreOptions { IncludeDatabase = d => d == "shop", MapDatabase = _ => into, OwnsTargetDatabase = d => d == into };
        var report = await new RestoreExecutor(repository.Store, repository.Layout, session.Client, options).RunAsync(target);
        return (await BackupRestoreTests.IdsAsync(session.Client, into), report);
    }
}
