using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>Logical backup, then restore into a fresh database on the same server (mapped name), at each kind of target.</summary>
public sealed class BackupRestoreTests : IClassFixture<MongoTarget>
{
    private readonly MongoTarget _mongo;

    public BackupRestoreTests(MongoTarget mongo) => _mongo = mongo;

    [Fact]
    public async Task A_backup_restored_to_latest_has_every_collection_option_index_and_document_of_the_source()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("full");
        await using var run = await StartArchiverAsync(repository);
        var db = _mongo.Client.GetDatabase(source);
        await db.CreateCollectionAsync("capped", new CreateCollectionOptions { Capped = true, MaxSize = 1 << 20 });
        var orders = db.GetCollection<BsonDocument>("orders");
        await orders.InsertManyAsync(Enumerable.Range(0, 2500).Select(i => new BsonDocument { { "_id", i }, { "sku", $"s{i % 7}" }, { "qty", i } }));
        await orders.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(new BsonDocument("sku", 1), new CreateIndexOptions { Name = "by_sku" }));
        await BackupAsync(repository, source);
        await orders.UpdateOneAsync(new BsonDocument("_id", 3), new BsonDocument("$set", new BsonDocument("qty", -3)));
        await orders.DeleteOneAsync(new BsonDocument("_id", 4));
        await db.GetCollection<BsonDocument>("later").InsertOneAsync(new BsonDocument("_id", "x"));
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var restored = source + "_r";
        var progress = new List<RestoreProgress>();
        var report = await RestoreAsync(repository, source, restored, RecoveryTarget.Latest, new Progress<RestoreProgress>(p =>
        {
            lock (progress) progress.Add(p);
        }));

        Assert.Equal((await DatabaseContents.ReadAsync(_mongo.Client, source)).Describe(), (await DatabaseContents.ReadAsync(_mongo.Client, restored)).Describe());
        Assert.Equal(2500, report.DocumentsLoaded);
        Assert.True(report.EntriesReplayed >= 3);
        Assert.Empty(await RestoreMarker.ListAsync(_mongo.Client));
        // Progress<T> posts its reports to the thread pool: wait until the replay's has landed (not a fixed pause).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Reported() && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.True(Reported(), "no progress report of the oplog replay");

        bool Reported()
        {
            lock (progress) return progress.Any(p => p.Phase == RestorePhase.ReplayingOplog);
        }
    }

    [Fact]
    public async Task Views_restore_with_their_definitions_whether_made_before_or_after_the_backup()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("views");
        await using var run = await StartArchiverAsync(repository);
        var db = _mongo.Client.GetDatabase(source);
        await db.GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument { { "_id", 1 }, { "qty", 5 } });
        await db.CreateViewAsync<BsonDocument, BsonDocument>("big", "orders", new BsonDocument[] { new("$match", new BsonDocument("qty", new BsonDocument("$gt", 3))) });
        await db.CreateViewAsync<BsonDocument, BsonDocument>("gone", "orders", Array.Empty<BsonDocument>());
        await BackupAsync(repository, source);
        await db.CreateViewAsync<BsonDocument, BsonDocument>("later", "big", new BsonDocument[] { new("$project", new BsonDocument("qty", 1)) });
        await db.DropCollectionAsync("gone");
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var restored = source + "_r";
        await RestoreAsync(repository, source, restored, RecoveryTarget.Latest);

        var contents = await DatabaseContents.ReadAsync(_mongo.Client, restored);
        Assert.Equal((await DatabaseContents.ReadAsync(_mongo.Client, source)).Describe(), contents.Describe());
        Assert.Equal(["big", "later", "orders"], contents.Collections.Keys);
        Assert.StartsWith("view options={ \"viewOn\" : \"big\"", contents.Collections["later"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_view_made_after_a_backup_without_views_restores_though_the_source_kept_an_empty_view_catalog()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("vcat");
        await using var run = await StartArchiverAsync(repository);
        var db = _mongo.Client.GetDatabase(source);
        await db.GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument("_id", 1));
        // system.views outlives its last view: the backup has no view, the source keeps the collection, and the next
        // view is one insert into it with no create before it.
        await db.CreateViewAsync<BsonDocument, BsonDocument>("first", "orders", Array.Empty<BsonDocument>());
        await db.DropCollectionAsync("first");
        await BackupAsync(repository, source);
        await db.CreateViewAsync<BsonDocument, BsonDocument>("second", "orders", Array.Empty<BsonDocument>());
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var restored = source + "_r";
        await RestoreAsync(repository, source, restored, RecoveryTarget.Latest);

        var contents = await DatabaseContents.ReadAsync(_mongo.Client, restored);
        Assert.Equal(["orders", "second"], contents.Collections.Keys);
        Assert.Equal((await DatabaseContents.ReadAsync(_mongo.Client, source)).Describe(), contents.Describe());
    }

    [Fact]
    public async Task A_backup_taken_while_writes_go_on_is_consistent_once_the_oplog_between_T0_and_T1_is_replayed()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("live");
        await using var run = await StartArchiverAsync(repository);
        var db = _mongo.Client.GetDatabase(source);
        var items = db.GetCollection<BsonDocument>("items");
        await items.InsertManyAsync(Enumerable.Range(0, 3000).Select(i => new BsonDocument { { "_id", i }, { "v", 0 } }));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var random = new Random(7);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = random.Next(0, 3500);
                switch (n % 5)
                {
                    case 0:
                        await items.DeleteOneAsync(new BsonDocument("_id", id));
                        break;
                    case 1:
                        await db.GetCollection<BsonDocument>($"side{n % 3}").InsertOneAsync(new BsonDocument("n", n));
                        break;
                    case 2:
                        await db.DropCollectionAsync($"side{(n + 1) % 3}");
                        break;
                    default:
                        await items.UpdateOneAsync(new BsonDocument("_id", id), new BsonDocument("$inc", new BsonDocument("v", 1)), new UpdateOptions { IsUpsert = true });
                        break;
                }
            }
        });

        var manifest = await new LogicalBackup(_mongo.Client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == source, BatchSize = 100 }).RunAsync();
        await Task.Delay(200);
        await stop.CancelAsync();
        await writer;
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var restored = source + "_r";
        await RestoreAsync(repository, source, restored, RecoveryTarget.Latest);

        Assert.True(manifest.ReplayFrom < manifest.ConsistentAt, "writes went on between T0 and T1");
        Assert.Equal((await DatabaseContents.ReadAsync(_mongo.Client, source)).Describe(), (await DatabaseContents.ReadAsync(_mongo.Client, restored)).Describe());
    }

    [Fact]
    public async Task A_replay_over_many_small_chunks_read_ahead_in_parallel_applies_each_entry_once_in_order()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("many");
        var start = await Oplog.NewestAsync(_mongo.Client);
        await using var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start, ChunkMaxBytes = 2048, CutWhenCaughtUp = false });
        var c = _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c");
        await c.InsertOneAsync(new BsonDocument { { "_id", 0 }, { "v", 0 } });
        await BackupAsync(repository, source);
        for (var i = 0; i < 300; i++)
        {
            await c.UpdateOneAsync(new BsonDocument("_id", i % 7), new BsonDocument("$inc", new BsonDocument("v", 1)), new UpdateOptions { IsUpsert = true });
            if (i % 50 == 0)
            {
                await c.DeleteOneAsync(new BsonDocument("_id", (i / 50) % 7));
            }
        }

        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        var report = await RestoreAsync(repository, source, source + "_r", RecoveryTarget.Latest);

        Assert.True(run.Archiver.Status.ChunksPublished > 10, "the replay must cross many chunks");
        Assert.Equal((await DatabaseContents.ReadAsync(_mongo.Client, source)).Describe(), (await DatabaseContents.ReadAsync(_mongo.Client, source + "_r")).Describe());
        Assert.True(report.EntriesReplayed >= 300);
    }

    [Fact]
    public async Task A_target_after_the_last_archived_entry_is_refused_with_the_catalogs_reason_before_anything_is_written()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("late");
        await using var run = await StartArchiverAsync(repository);
        await _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("a", 1));
        await BackupAsync(repository, source);
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        var restored = source + "_r";

        await Task.Delay(50);
        var target = RecoveryTarget.AtTime(DateTimeOffset.UtcNow);

        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RestoreAsync(repository, source, restored, target));

        Assert.Equal(RefusalReason.AfterLastArchivedEntry, refused.Refusal?.Reason);
        var names = await (await _mongo.Client.ListDatabaseNamesAsync()).ToListAsync();
        Assert.DoesNotContain(restored, names);
    }

    [Fact]
    public async Task A_target_before_the_first_backup_is_refused()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("early");
        await using var run = await StartArchiverAsync(repository);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("a", 1));
        await BackupAsync(repository, source);

        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RestoreAsync(repository, source, source + "_r", RecoveryTarget.AtTime(before)));

        Assert.Equal(RefusalReason.BeforeFirstBackup, refused.Refusal?.Reason);
    }

    [Fact]
    public async Task A_restore_into_a_database_that_already_exists_is_refused()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("busy");
        await using var run = await StartArchiverAsync(repository);
        await _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("a", 1));
        await BackupAsync(repository, source);
        await _mongo.Client.GetDatabase(source + "_r").GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("there", true));

        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() => RestoreAsync(repository, source, source + "_r", RecoveryTarget.Immediate));

        Assert.Contains("not empty", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Immediate_restores_the_backup_alone_and_ts_targets_include_or_exclude_the_named_entry()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("ts");
        await using var run = await StartArchiverAsync(repository);
        var c = _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c");
        await c.InsertOneAsync(new BsonDocument("_id", 0));
        await BackupAsync(repository, source);
        await c.InsertOneAsync(new BsonDocument("_id", 1));
        var first = await Oplog.NewestAsync(_mongo.Client);
        await c.InsertOneAsync(new BsonDocument("_id", 2));
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var immediate = await RestoredIdsAsync(repository, source, "_i", RecoveryTarget.Immediate);
        var atFirst = await RestoredIdsAsync(repository, source, "_t", RecoveryTarget.AtTs(first));
        var beforeFirst = await RestoredIdsAsync(repository, source, "_x", RecoveryTarget.AtTs(first, exclusive: true));
        var latest = await RestoredIdsAsync(repository, source, "_l", RecoveryTarget.Latest);

        Assert.Equal(new long[] { 0 }, immediate);
        Assert.Equal(new long[] { 0, 1 }, atFirst);
        Assert.Equal(new long[] { 0 }, beforeFirst);
        Assert.Equal(new long[] { 0, 1, 2 }, latest);
    }

    [Fact]
    public async Task Databases_left_out_of_a_restore_are_reported_as_skipped()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("skip");
        var other = source + "_other";
        await using var run = await StartArchiverAsync(repository);
        await _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("a", 1));
        await BackupAsync(repository, db => db == source || db == other);
        await _mongo.Client.GetDatabase(other).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("b", 1));
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var report = await RestoreAsync(repository, source, source + "_r", RecoveryTarget.Latest);

        Assert.Contains(report.Skipped.Keys, k => k.StartsWith(other, StringComparison.Ordinal));
    }

    internal static async Task<long[]> IdsAsync(IMongoClient client, string database)
    {
        var documents = await client.GetDatabase(database).GetCollection<BsonDocument>("c")
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToListAsync();
        return [.. documents.Select(d => d["_id"].ToInt64())];
    }

    private async Task<long[]> RestoredIdsAsync(TestRepository repository, string source, string suffix, RecoveryTarget target)
    {
        await RestoreAsync(repository, source, source + suffix, target);
        return await IdsAsync(_mongo.Client, source + suffix);
    }

    private Task<ArchiverRun> StartArchiverAsync(TestRepository repository) => SameServer.StartArchiverAsync(_mongo.Client, repository);

    private Task BackupAsync(TestRepository repository, string database) => BackupAsync(repository, db => db == database);

    private Task BackupAsync(TestRepository repository, Func<string, bool> include) => SameServer.BackupAsync(_mongo.Client, repository, include);

    private Task<RestoreReport> RestoreAsync(TestRepository repository, string source, string restored, RecoveryTarget target, IProgress<RestoreProgress>? progress = null) =>
        SameServer.RestoreAsync(_mongo.Client, repository, source, restored, target, progress);
}
