using Archiver.Mongo.Archiving;
using Archiver.Storage;
using Archiver.Storage.Oplog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>The oplog archiver against a live server (the emulator, or a real replica set).</summary>
public sealed class ArchiverTests : IClassFixture<MongoTarget>
{
    private readonly MongoTarget _mongo;

    public ArchiverTests(MongoTarget mongo) => _mongo = mongo;

    [Fact]
    public async Task Every_entry_is_archived_byte_for_byte_in_order_including_no_ops()
    {
        using var repository = new TestRepository();
        var start = await Oplog.NewestAsync(_mongo.Client);
        await using (var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start }))
        {
            await WriteAsync(MongoTarget.NewDatabaseName("arch"), 50);
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        }

        var archived = await ReplayAllAsync(repository, start);
        var source = await Oplog.RangeAsync(_mongo.Client, start, archived[^1].Ts);
        Assert.Equal(source.Count, archived.Count);
        for (var i = 0; i < source.Count; i++)
        {
            Assert.Equal(source[i].ToBson(), archived[i].Document.ToArray());
        }
    }

    [Fact]
    public async Task A_restart_resumes_after_the_last_archived_entry_with_no_gap_and_no_duplicate()
    {
        using var repository = new TestRepository();
        var start = await Oplog.NewestAsync(_mongo.Client);
        var db = MongoTarget.NewDatabaseName("resume");
        for (var round = 0; round < 3; round++)
        {
            await using var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start });
            await WriteAsync(db, 20);
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        }

        var catalog = await repository.CatalogAsync();
        var history = catalog.Timeline(1).Component("rs0");
        Assert.Single(history.Runs);
        Assert.Empty(history.Gaps());
        var chunks = history.AllChunks().ToArray();
        for (var i = 1; i < chunks.Length; i++)
        {
            Assert.True(chunks[i].First > chunks[i - 1].Last, "chunks written after a restart must not overlap the ones before");
            Assert.Equal(chunks[i - 1].Last, chunks[i].Previous);
        }

        var archived = await ReplayAllAsync(repository, start);
        var source = await Oplog.RangeAsync(_mongo.Client, start, archived[^1].Ts);
        Assert.Equal(source.Select(d => OplogFields.ToStorage(d["ts"].AsBsonTimestamp)), archived.Select(e => e.Ts));
    }

    [Fact]
    public async Task A_chunk_is_cut_when_it_reaches_its_size_limit()
    {
        using var repository = new TestRepository();
        var start = await Oplog.NewestAsync(_mongo.Client);
        await using (var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start, ChunkMaxBytes = 8 * 1024, ChunkMaxAge = TimeSpan.FromMinutes(5), CutWhenCaughtUp = false }))
        {
            await WriteAsync(MongoTarget.NewDatabaseName("size"), 200, padding: 200);
            await run.WaitUntilAsync(s => s.ChunksPublished >= 3);
        }

        var chunks = (await repository.CatalogAsync()).Timeline(1).Component("rs0").AllChunks().ToArray();
        Assert.True(chunks.Length >= 3);
        Assert.All(chunks, c => Assert.True(c.EntryCount < 200));
    }

    [Fact]
    public async Task An_idle_source_is_published_within_the_age_limit_and_status_reports_lag_and_headroom()
    {
        using var repository = new TestRepository();
        var start = await Oplog.NewestAsync(_mongo.Client);
        await using var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start, ChunkMaxAge = TimeSpan.FromMilliseconds(300) });
        await WriteAsync(MongoTarget.NewDatabaseName("age"), 1);
        var newest = await Oplog.NewestAsync(_mongo.Client);
        var written = DateTime.UtcNow;

        await run.WaitArchivedAsync(newest, TimeSpan.FromSeconds(5));
        var published = DateTime.UtcNow - written;
        await run.WaitUntilAsync(s => s.Lag == TimeSpan.Zero && s.OplogHeadroom is not null);

        Assert.True(published < TimeSpan.FromSeconds(2), $"published after {published}");
        var status = run.Archiver.Status;
        Assert.Equal(ArchiverPhase.Streaming, status.Phase);
        Assert.Equal(start, status.WalSegmentStart);
        Assert.Equal(newest, status.WalSegmentEnd);
        Assert.DoesNotContain(status.Conditions, c => c.Type != ArchiverConditionTypes.HeadroomLow);
    }

    [EmulatorOnlyFact]
    public async Task Headroom_counts_what_a_young_oplog_can_still_hold_and_a_full_one_is_bounded_by_its_span()
    {
        // 256 MiB, barely used: at the rate it was written it holds minutes, far more than the second or two it spans.
        await using var young = await EmulatorSession.StartAsync();
        // 64 KiB, written past its cap: it evicts; what is left is its oldest entry's lead over the archive.
        await using var full = await EmulatorSession.StartAsync(new Emulators.MongoDb.MongoEmulatorOptions { OplogSizeBytes = 64 * 1024 });
        foreach (var session in new[] { young, full })
        {
            await session.Client.GetDatabase("h").GetCollection<MongoDB.Bson.BsonDocument>("c")
                .InsertManyAsync(Enumerable.Range(0, 2000).Select(i => new MongoDB.Bson.BsonDocument { { "_id", i }, { "pad", new string('x', 100) } }));
        }

        using var youngRepository = new TestRepository();
        using var fullRepository = new TestRepository();
        await using var youngRun = new ArchiverRun(young.Client, youngRepository, o => o with { StatusInterval = TimeSpan.FromMilliseconds(100) });
        await using var fullRun = new ArchiverRun(full.Client, fullRepository, o => o with { StatusInterval = TimeSpan.FromMilliseconds(100) });
        await youngRun.WaitUntilAsync(s => s.OplogHeadroom is not null && s.Lag == TimeSpan.Zero);
        await fullRun.WaitUntilAsync(s => s.OplogHeadroom is not null && s.Lag == TimeSpan.Zero);

        var youngSpan = DateTimeOffset.UtcNow - young.Emulator.ReadOplog()[0]["wall"].ToUniversalTime();
        Assert.True(youngRun.Archiver.Status.OplogHeadroom > youngSpan * 10, $"headroom {youngRun.Archiver.Status.OplogHeadroom} for a span of {youngSpan}");
        Assert.True(fullRun.Archiver.Status.OplogHeadroom < TimeSpan.FromMinutes(1), $"headroom {fullRun.Archiver.Status.OplogHeadroom}");
    }

    [Fact]
    public async Task Storage_down_for_a_while_raises_a_condition_and_loses_nothing()
    {
        using var repository = new TestRepository();
        var start = await Oplog.NewestAsync(_mongo.Client);
        await using var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start });
        var db = MongoTarget.NewDatabaseName("down");
        await WriteAsync(db, 5);
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        repository.Store.Down = true;
        await WriteAsync(db, 30);
        await run.WaitUntilAsync(s => s.Has(ArchiverConditionTypes.StorageUnavailable));
        // It keeps trying while the storage is down (two more failed calls), and keeps reading meanwhile.
        var failed = repository.Store.FailedCalls;
        await run.WaitUntilAsync(_ => repository.Store.FailedCalls >= failed + 2);
        repository.Store.Down = false;
        await WriteAsync(db, 5);
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        await run.WaitUntilAsync(s => !s.Has(ArchiverConditionTypes.StorageUnavailable));

        Assert.True(repository.Store.FailedCalls > 0);
        var archived = await ReplayAllAsync(repository, start);
        var source = await Oplog.RangeAsync(_mongo.Client, start, archived[^1].Ts);
        Assert.Equal(source.Count, archived.Count);
        Assert.Empty((await repository.CatalogAsync()).Timeline(1).Component("rs0").Gaps());
    }

    [Fact]
    public async Task An_archiver_killed_before_its_chunk_was_cut_publishes_nothing_and_the_next_one_takes_everything()
    {
        using var repository = new TestRepository();
        var start = await Oplog.NewestAsync(_mongo.Client);
        var db = MongoTarget.NewDatabaseName("kill");
        await using (var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start, ChunkMaxAge = TimeSpan.FromMinutes(10), CutWhenCaughtUp = false }))
        {
            await WriteAsync(db, 10);
            await run.WaitReadAsync(await Oplog.NewestAsync(_mongo.Client));
            Assert.Equal(0, run.Archiver.Status.ChunksPublished);
        }

        Assert.Empty((await repository.CatalogAsync()).Timeline(1).Component("rs0").AllChunks().ToArray());
        await using (var run = new ArchiverRun(_mongo.Client, repository, o => o with { StartAfter = start }))
        {
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));
        }

        var archived = await ReplayAllAsync(repository, start);
        Assert.Equal((await Oplog.RangeAsync(_mongo.Client, start, archived[^1].Ts)).Count, archived.Count);
    }

    internal static async Task<List<OplogEntry>> ReplayAllAsync(TestRepository repository, OplogTimestamp after)
    {
        var catalog = await repository.CatalogAsync();
        var history = catalog.Timeline(1).Component("rs0");
        var keys = history.AllChunks().ToArray().Select(c => repository.Layout.ChunkKey("rs0", 1, c)).ToList();
        var entries = new List<OplogEntry>();
        await foreach (var entry in OplogReplay.ReadAsync(repository.Local, keys, after, _ => false))
        {
            entries.Add(entry with { Document = entry.Document.ToArray() });
        }

        return entries;
    }

    private async Task WriteAsync(string database, int count, int padding = 10)
    {
        var collection = _mongo.Client.GetDatabase(database).GetCollection<BsonDocument>("c");
        for (var i = 0; i < count; i++)
        {
            await collection.InsertOneAsync(new BsonDocument { { "n", i }, { "pad", new string('x', padding) } });
        }
    }
}
