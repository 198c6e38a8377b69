using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Archiving;
using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>Faults only the emulator can cause on demand: rollback, rollover, failover.</summary>
[Trait("Target", "EmulatorOnly")]
public sealed class ArchiverFaultTests
{
    [EmulatorOnlyFact]
    public async Task Entries_past_the_majority_point_are_held_back_and_never_archived_once_rolled_back()
    {
        await using var session = await EmulatorSession.StartAsync();
        using var repository = new TestRepository();
        await using var run = new ArchiverRun(session.Client, repository);
        var orders = session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        await orders.InsertOneAsync(new BsonDocument("_id", "committed"));
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));

        session.Emulator.HoldMajorityCommitPoint();
        await orders.InsertOneAsync(new BsonDocument("_id", "rolled-back"));
        var doomed = OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp);
        await run.WaitReadAsync(doomed);
        Assert.True(run.Archiver.Status.WalSegmentEnd < doomed, "an entry past the majority point was archived");

        Assert.Equal(1, session.Emulator.RollBackToMajorityCommitPoint());
        session.Emulator.ReleaseMajorityCommitPoint();
        await orders.InsertOneAsync(new BsonDocument("_id", "after"));
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));

        var ids = (await ArchiverTests.ReplayAllAsync(repository, default))
            .Select(e => MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(e.Document.ToArray()))
            .Where(d => d["op"] == "i")
            .Select(d => d["o"]["_id"].AsString)
            .ToList();
        Assert.Equal(["committed", "after"], ids);
    }

    [EmulatorOnlyFact]
    public async Task Entries_held_back_until_the_majority_point_moves_are_archived_whole_and_in_order()
    {
        await using var session = await EmulatorSession.StartAsync();
        using var repository = new TestRepository();
        await using var run = new ArchiverRun(session.Client, repository);
        var orders = session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        await orders.InsertOneAsync(new BsonDocument("_id", "first"));
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));

        // Held over several batches: each batch's reply buffer is given back to the driver while they wait.
        session.Emulator.HoldMajorityCommitPoint();
        for (var i = 0; i < 5; i++)
        {
            await orders.InsertOneAsync(new BsonDocument { { "_id", $"held-{i}" }, { "pad", new string((char)('a' + i), 200) } });
            await run.WaitReadAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));
        }

        var held = OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp);
        Assert.True(run.Archiver.Status.WalSegmentEnd < held, "an entry past the majority point was archived");
        session.Emulator.ReleaseMajorityCommitPoint();
        await orders.InsertOneAsync(new BsonDocument("_id", "last"));
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));

        var inserted = (await ArchiverTests.ReplayAllAsync(repository, default))
            .Select(e => MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(e.Document.ToArray()))
            .Where(d => d["op"] == "i")
            .Select(d => d["o"])
            .ToList();
        Assert.Equal(["first", "held-0", "held-1", "held-2", "held-3", "held-4", "last"], inserted.Select(o => o["_id"].AsString));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(new string((char)('a' + i), 200), inserted[i + 1]["pad"].AsString);
        }
    }

    [EmulatorOnlyFact]
    public async Task A_rollover_while_the_archiver_was_stopped_records_the_gap_raises_a_condition_and_starts_a_new_run()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, OplogSizeBytes = 30_000 });
        using var repository = new TestRepository();
        var orders = session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        await using (var run = new ArchiverRun(session.Client, repository))
        {
            await orders.InsertOneAsync(new BsonDocument("n", 0));
            await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));
        }

        var lastArchived = (await repository.CatalogAsync()).Timeline(1).Component("rs0").Runs[^1].End;
        for (var i = 1; i <= 300; i++)
        {
            await orders.InsertOneAsync(new BsonDocument { { "n", i }, { "pad", new string('x', 100) } });
        }

        await using (var run = new ArchiverRun(session.Client, repository))
        {
            await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));
            var status = run.Archiver.Status;
            Assert.True(status.Has(ArchiverConditionTypes.OplogGap));
            var gap = Assert.Single(status.Gaps);
            Assert.Equal(lastArchived, gap.After);
            Assert.True(status.WalSegmentStart > lastArchived, "the walSegment starts after the gap");
        }

        var gaps = (await repository.CatalogAsync()).Timeline(1).Component("rs0").Gaps();
        Assert.Equal(lastArchived, Assert.Single(gaps).After);
    }

    [EmulatorOnlyFact]
    public async Task After_a_failover_archiving_resumes_on_the_new_primary_with_no_gap_and_no_duplicate()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, Members = 2 });
        using var repository = new TestRepository();
        await using var run = new ArchiverRun(session.Client, repository);
        var orders = session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        for (var i = 0; i < 10; i++)
        {
            await orders.InsertOneAsync(new BsonDocument("n", i));
        }

        session.Emulator.StepDown();
        await Task.Delay(300);
        session.Emulator.StepUp(1);
        for (var i = 10; i < 20; i++)
        {
            await orders.InsertOneAsync(new BsonDocument("n", i));
        }

        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp), TimeSpan.FromSeconds(30));
        var archived = await ArchiverTests.ReplayAllAsync(repository, default);
        var source = session.Emulator.ReadOplog();
        Assert.Equal(source.Select(d => OplogFields.ToStorage(d["ts"].AsBsonTimestamp)), archived.Select(e => e.Ts));
        Assert.Empty((await repository.CatalogAsync()).Timeline(1).Component("rs0").Gaps());
    }

    [EmulatorOnlyFact]
    public async Task While_the_replica_set_is_down_the_lag_is_unknown_the_condition_is_one_line_and_the_detail_is_logged_once()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        // A short server selection, so the archiver retries many times while the member is down.
        var client = TestClients.Create(emulator.ConnectionString, s => s.ServerSelectionTimeout = TimeSpan.FromMilliseconds(300));
        var writer = TestClients.Create(emulator.ConnectionString);
        using var repository = new TestRepository();
        var logger = new RecordingLogger();
        try
        {
            await using var run = new ArchiverRun(client, repository, o => o with { Logger = logger });
            await writer.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument("n", 1));
            await run.WaitUntilAsync(s => s.Lag is not null && s.WalSegmentEnd is not null);
            var endpoint = emulator.MemberEndPoint(0)!;

            await emulator.StopMemberAsync(0);
            // First the connection open to it ends; then every attempt to reach it is refused.
            var refused = $"cannot reach replica set rs0 at 127.0.0.1:{endpoint.Port}: connection refused";
            await run.WaitUntilAsync(s => s.Conditions.Any(c => c.Type == ArchiverConditionTypes.SourceUnavailable && c.Message == refused), TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(2));

            var status = run.Archiver.Status;
            Assert.Equal(refused, status.Conditions.Single(c => c.Type == ArchiverConditionTypes.SourceUnavailable).Message);
            Assert.Null(status.Lag);
            var told = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(refused, StringComparison.Ordinal));
            Assert.NotNull(told.Exception);
            // Every cause at most once, however many retries.
            Assert.Equal(logger.Entries.Count, logger.Entries.Select(e => e.Message).Distinct().Count());

            emulator.StartMember(0, endpoint);
            await run.WaitUntilAsync(s => !s.Has(ArchiverConditionTypes.SourceUnavailable) && s.Lag is not null, TimeSpan.FromSeconds(30));
        }
        finally
        {
            TestClients.Dispose(client);
            TestClients.Dispose(writer);
        }
    }

    [EmulatorOnlyFact]
    public async Task An_idle_database_uploads_its_no_ops_once_per_idle_interval_and_a_write_is_still_archived_within_chunkMaxAge()
    {
        // Scaled down: a no-op every 50 ms (a replica set writes one every 10 s), an idle flush of 1 s (default 5 m).
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = TimeSpan.FromMilliseconds(50) });
        using var repository = new TestRepository();
        var orders = session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        await orders.InsertOneAsync(new BsonDocument("n", 0));
        await using var run = new ArchiverRun(session.Client, repository, o => o with { IdleFlushInterval = TimeSpan.FromSeconds(1), ChunkMaxAge = TimeSpan.FromMilliseconds(200) });
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));
        var before = run.Archiver.Status.ChunksPublished;

        await Task.Delay(TimeSpan.FromSeconds(3));
        var idle = run.Archiver.Status.ChunksPublished - before;
        // About 60 no-ops came in those 3 s; at most one chunk per second (and one cut as the idle period began).
        Assert.InRange(idle, 1, 4);
        // Only no-ops wait: the lag, which is of data, stays low (at most a no-op not read yet, 50 ms apart here), not the
        // time since the last upload, and no alarm is raised.
        Assert.InRange(run.Archiver.Status.Lag!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(400));

        await orders.InsertOneAsync(new BsonDocument("n", 1));
        var written = OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp);
        var started = DateTime.UtcNow;
        await run.WaitArchivedAsync(written, TimeSpan.FromSeconds(5));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromMilliseconds(900), $"the write took {(DateTime.UtcNow - started).TotalMilliseconds:0} ms to be archived");
        Assert.Empty((await repository.CatalogAsync()).Timeline(1).Component("rs0").Gaps());
    }

    [EmulatorOnlyFact]
    public async Task A_database_written_to_often_uploads_a_chunk_per_chunkMaxAge_not_one_per_write_and_each_write_within_it()
    {
        // Scaled down: a write every 50 ms against chunks of at most 500 ms (by default 10 writes a second and 1 s).
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        using var repository = new TestRepository();
        var orders = session.Client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
        await orders.InsertOneAsync(new BsonDocument("n", 0));
        var maxAge = TimeSpan.FromMilliseconds(500);
        await using var run = new ArchiverRun(session.Client, repository, o => o with { ChunkMaxAge = maxAge });
        await run.WaitArchivedAsync(OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp));
        var before = run.Archiver.Status.ChunksPublished;
        var slowest = TimeSpan.Zero;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var n = 1; clock.Elapsed < TimeSpan.FromSeconds(3); n++)
        {
            await orders.InsertOneAsync(new BsonDocument("n", n));
            if (n % 10 == 0)
            {
                // Now and then, how long this write takes to be in the storage.
                var written = OplogFields.ToStorage(session.Emulator.LastAppliedTimestamp);
                var started = clock.Elapsed;
                await run.WaitArchivedAsync(written, TimeSpan.FromSeconds(5));
                slowest = clock.Elapsed - started > slowest ? clock.Elapsed - started : slowest;
            }
            else
            {
                await Task.Delay(50);
            }
        }

        var chunks = run.Archiver.Status.ChunksPublished - before;
        // A chunk per write would be about 50; one per 500 ms is 6, and a caught-up cut may come once more.
        Assert.InRange(chunks, 3, 9);
        Assert.True(slowest < maxAge + TimeSpan.FromMilliseconds(400), $"a write took {slowest.TotalMilliseconds:0} ms to be archived");
    }
}
