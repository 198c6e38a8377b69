using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>A restore checks the chunks it will replay before it applies any of them.</summary>
public sealed class RestoreChunkCheckTests : IClassFixture<MongoTarget>
{
    private readonly MongoTarget _mongo;

    public RestoreChunkCheckTests(MongoTarget mongo) => _mongo = mongo;

    [Fact]
    public async Task A_corrupt_middle_chunk_fails_the_restore_before_any_oplog_entry_is_applied()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("precheck");
        var restored = source + "_r";
        var start = await Oplog.NewestAsync(_mongo.Client);
        OplogTimestamp middle;
        await using (var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start }))
        {
            var c = _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c");
            await c.InsertOneAsync(new BsonDocument("_id", 0));
            await new LogicalBackup(_mongo.Client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == source }).RunAsync();

            // Three stretches of writes, each archived before the next begins: three chunks (or more) after the backup.
            await c.InsertOneAsync(new BsonDocument { { "_id", "before" }, { "pad", new string('b', 200) } });
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
            await c.InsertOneAsync(new BsonDocument { { "_id", "middle" }, { "pad", new string('m', 200) } });
            middle = await Oplog.NewestAsync(_mongo.Client);
            await run.WaitArchivedAsync(middle);
            await c.InsertOneAsync(new BsonDocument { { "_id", "after" }, { "pad", new string('a', 200) } });
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        }

        var chunk = (await repository.CatalogAsync()).Timeline(1).Component("rs0").AllChunks().ToArray().Single(r => r.First <= middle && middle <= r.Last);
        var key = repository.Layout.ChunkKey("rs0", 1, chunk);
        await repository.CorruptAsync(key);
        var options = new RestoreOptions { IncludeDatabase = d => d == source, MapDatabase = _ => restored, OwnsTargetDatabase = d => d == restored };

        var failed = await Assert.ThrowsAsync<RestoreFailedException>(
            () => new RestoreExecutor(repository.Store, repository.Layout, _mongo.Client, options).RunAsync(RecoveryTarget.Latest));

        // The entry archived before the broken chunk, which the replay would have applied first, is not there (the base
        // load may have been stopped part way, as the check failed while it ran).
        var documents = await _mongo.Client.GetDatabase(restored).GetCollection<BsonDocument>("c")
            .Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
        Assert.DoesNotContain(new BsonString("before"), documents.Select(d => d["_id"]));
        Assert.Contains(key, failed.Message, StringComparison.Ordinal);
        Assert.Contains("before any oplog entry was applied", failed.Message, StringComparison.Ordinal);
        Assert.Equal("failed", Assert.Single(await RestoreMarker.ListAsync(_mongo.Client), m => m["_id"] == options.RestoreId)["state"].AsString);
        await RestoreMarker.Markers(_mongo.Client).DeleteOneAsync(new BsonDocument("_id", options.RestoreId));
    }

    [Theory]
    [InlineData(1L << 30, 1)]
    [InlineData(0L, 2)]
    public async Task The_chunks_checked_before_the_replay_are_downloaded_once_while_the_spool_has_room(long spoolBytes, int readsPerChunk)
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("spool");
        var restored = source + "_r";
        await SmallHistory.WriteAsync(_mongo.Client, repository, source, await Oplog.NewestAsync(_mongo.Client), inserts: 3, chunkPerInsert: true);

        var spool = Directory.CreateTempSubdirectory("archiver-spool-test-").FullName;
        try
        {
            var options = new RestoreOptions
            {
                IncludeDatabase = d => d == source, MapDatabase = _ => restored, OwnsTargetDatabase = d => d == restored, SpoolBytes = spoolBytes, SpoolFolder = spool,
            };
            var report = await new RestoreExecutor(repository.Store, repository.Layout, _mongo.Client, options).RunAsync(RecoveryTarget.Latest);

            Assert.Equal(4, await _mongo.Client.GetDatabase(restored).GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            Assert.True(report.EntriesReplayed >= 3, $"{report.EntriesReplayed} entries replayed");
            var replayed = (await repository.CatalogAsync()).Timeline(1).Component("rs0").AllChunks().ToArray()
                .Select(r => repository.Layout.ChunkKey("rs0", 1, r))
                .Where(key => repository.Store.Reads(key) > 0)
                .ToList();
            // The chunks after the backup's start (those before it the restore never opens).
            Assert.True(replayed.Count >= 3, $"{replayed.Count} chunks");
            Assert.All(replayed, key => Assert.Equal(readsPerChunk, repository.Store.Reads(key)));
            // Nothing is left behind on the disk once the restore is done.
            Assert.Empty(Directory.EnumerateFileSystemEntries(spool));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public async Task A_plan_from_a_volume_snapshot_base_is_refused_before_anything_is_written()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("snapbase");
        var restored = source + "_r";
        var start = await Oplog.NewestAsync(_mongo.Client);
        await using (var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start }))
        {
            var c = _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c");
            await c.InsertOneAsync(new BsonDocument("_id", 0));
            var at = await Oplog.NewestAsync(_mongo.Client);
            var backup = new Storage.FullBackups.FullBackupWriter(repository.Store, repository.Layout, new Storage.FullBackups.BackupStart("CSISnapshotter", ["rs0"], 1, DateTimeOffset.UtcNow));
            backup.AddVolumeSnapshot(new Storage.FullBackups.VolumeSnapshotRecord(
                "rs0", "demo", "mg-full-1-1", "csi", "datadir-mg-1", "mg-1:27017", at, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1 << 20, null, null, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
            await backup.CompleteAsync(at, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow);
            await c.InsertOneAsync(new BsonDocument("_id", 1));
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        }

        var options = new RestoreOptions { IncludeDatabase = d => d == source, MapDatabase = _ => restored, OwnsTargetDatabase = d => d == restored };
        var refused = await Assert.ThrowsAsync<RestoreRefusedException>(
            () => new RestoreExecutor(repository.Store, repository.Layout, _mongo.Client, options).RunAsync(RecoveryTarget.Latest));

        Assert.Contains("is a volume snapshot (VolumeSnapshot demo/mg-full-1-1", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(restored, await (await _mongo.Client.ListDatabaseNamesAsync()).ToListAsync());
        Assert.DoesNotContain(await RestoreMarker.ListAsync(_mongo.Client), m => m["_id"] == options.RestoreId);
    }
}
