using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Time-series collections through a backup and a point-in-time restore: made with their options, their buckets
/// loaded, their bucket writes, creates and drops replayed up to the target, and none of them reported left out.
/// </summary>
public sealed class TimeSeriesRestoreTests : IClassFixture<MongoTarget>
{
    private readonly MongoTarget _mongo;

    public TimeSeriesRestoreTests(MongoTarget mongo) => _mongo = mongo;

    [Fact]
    public async Task Inserts_into_a_time_series_collection_before_and_after_the_full_backup_come_back_at_T()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("tspitr");
        await using var run = await StartArchiverAsync(repository);
        var client = _mongo.Client;
        await client.GetDatabase(source).GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument("_id", 1));
        await TimeSeries.CreateAsync(client, source, "weather", "minutes", expireAfterSeconds: 30 * 86400);
        await TimeSeries.CreateAsync(client, source, "quiet");
        await TimeSeries.CreateAsync(client, source, "dropped");
        var expected = new List<BsonDocument>
        {
            await TimeSeries.InsertAsync(client, source, "weather", 1, "s1"),
            await TimeSeries.InsertAsync(client, source, "weather", 2, "s2"),
        };
        await TimeSeries.InsertAsync(client, source, "dropped", 9);
        await BackupAsync(repository, source);

        // After the backup, before T: a measurement into an open bucket (a bucket update), one into a new bucket, a
        // time-series collection made and written, one dropped.
        expected.Add(await TimeSeries.InsertAsync(client, source, "weather", 3, "s1"));
        expected.Add(await TimeSeries.InsertAsync(client, source, "weather", 4, "s3"));
        await TimeSeries.CreateAsync(client, source, "later");
        var later = await TimeSeries.InsertAsync(client, source, "later", 5);
        await TimeSeries.DropAsync(client, source, "dropped");
        var t = await Oplog.NewestAsync(client);
        // After T: left out.
        await TimeSeries.InsertAsync(client, source, "weather", 6, "s1");
        await TimeSeries.InsertAsync(client, source, "later", 7);
        await TimeSeries.CreateAsync(client, source, "too_late");
        await run.WaitArchivedAsync(await Oplog.NewestAsync(client));

        var restored = source + "_r";
        var report = await RestoreAsync(repository, source, restored, RecoveryTarget.AtTs(t));

        Assert.Equal(expected.Select(TimeSeries.Canonical).Order(StringComparer.Ordinal), await TimeSeries.MeasurementsAsync(client, restored, "weather"));
        Assert.Equal([TimeSeries.Canonical(later)], await TimeSeries.MeasurementsAsync(client, restored, "later"));
        Assert.Empty(await TimeSeries.MeasurementsAsync(client, restored, "quiet"));
        foreach (var name in new[] { "weather", "quiet", "later" })
        {
            var info = await TimeSeries.InfoAsync(client, restored, name);
            Assert.NotNull(info);
            Assert.Equal("timeseries", info["type"].AsString);
            Assert.Equal((await TimeSeries.InfoAsync(client, source, name))!["options"], info["options"]);
        }

        Assert.Equal("minutes", (await TimeSeries.InfoAsync(client, restored, "weather"))!["options"]["timeseries"]["granularity"].AsString);
        Assert.Null(await TimeSeries.InfoAsync(client, restored, "dropped"));
        Assert.Null(await TimeSeries.InfoAsync(client, restored, "system.buckets.dropped"));
        Assert.Null(await TimeSeries.InfoAsync(client, restored, "too_late"));
        Assert.DoesNotContain(report.Skipped.Keys, k => k.StartsWith(source, StringComparison.Ordinal));
        Assert.Empty(await RestoreMarker.ListAsync(client));
    }

    [Fact]
    public async Task A_time_series_collection_restored_to_latest_holds_the_same_buckets_as_its_source()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("tsbkt");
        await using var run = await StartArchiverAsync(repository);
        var client = _mongo.Client;
        await TimeSeries.CreateAsync(client, source, "weather");
        for (var i = 0; i < 5; i++)
        {
            await TimeSeries.InsertAsync(client, source, "weather", i, $"s{i % 2}");
        }

        await BackupAsync(repository, source);
        for (var i = 5; i < 10; i++)
        {
            await TimeSeries.InsertAsync(client, source, "weather", i, $"s{i % 3}");
        }

        await run.WaitArchivedAsync(await Oplog.NewestAsync(client));

        var restored = source + "_r";
        await RestoreAsync(repository, source, restored, RecoveryTarget.Latest);

        Assert.Equal(await BucketsAsync(source), await BucketsAsync(restored));
        Assert.Equal(10, (await TimeSeries.MeasurementsAsync(client, restored, "weather")).Count);
        // Read as an application would (listCollections, find on the collection, listIndexes), it is the source's.
        Assert.Equal((await DatabaseContents.ReadAsync(client, source)).Describe(), (await DatabaseContents.ReadAsync(client, restored)).Describe());
    }

    [Fact]
    public async Task Bucket_writes_during_the_backup_replay_over_the_dumped_buckets_to_the_source_state()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("tslive");
        await using var run = await StartArchiverAsync(repository);
        var client = _mongo.Client;
        await TimeSeries.CreateAsync(client, source, "weather");
        var orders = client.GetDatabase(source).GetCollection<BsonDocument>("orders");
        await orders.InsertManyAsync(Enumerable.Range(0, 3000).Select(i => new BsonDocument("_id", i)));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                await TimeSeries.InsertAsync(client, source, "weather", n, $"s{n % 3}");
                if (n % 4 == 0)
                {
                    // Buckets made and dropped while the dump runs: their creates, writes and drops are replayed too.
                    await TimeSeries.CreateAsync(client, source, $"side{n}");
                    await TimeSeries.InsertAsync(client, source, $"side{n}", n);
                    await TimeSeries.DropAsync(client, source, $"side{n - 4}");
                }
            }
        });

        var manifest = await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == source, BatchSize = 100 }).RunAsync();
        await Task.Delay(200);
        await stop.CancelAsync();
        await writer;
        await run.WaitArchivedAsync(await Oplog.NewestAsync(client));

        var restored = source + "_r";
        var report = await RestoreAsync(repository, source, restored, RecoveryTarget.Latest);

        Assert.True(manifest.ReplayFrom < manifest.ConsistentAt, "writes went on between T0 and T1");
        Assert.Equal(await BucketsAsync(source), await BucketsAsync(restored));
        Assert.Equal(await TimeSeries.MeasurementsAsync(client, source, "weather"), await TimeSeries.MeasurementsAsync(client, restored, "weather"));
        Assert.Equal(await NamesAsync(source), await NamesAsync(restored));
        Assert.DoesNotContain(report.Skipped.Keys, k => k.StartsWith(source, StringComparison.Ordinal));
    }

    private async Task<List<string>> NamesAsync(string database) =>
        [.. (await (await _mongo.Client.GetDatabase(database).ListCollectionsAsync()).ToListAsync()).Select(c => $"{c["name"]}:{c["type"]}").Order(StringComparer.Ordinal)];

    private async Task<List<string>> BucketsAsync(string database) =>
        [.. (await _mongo.Client.GetDatabase(database).GetCollection<BsonDocument>("system.buckets.weather").Find(FilterDefinition<BsonDocument>.Empty).ToListAsync()).Select(b => b.ToJson())];

    private Task<ArchiverRun> StartArchiverAsync(TestRepository repository) => SameServer.StartArchiverAsync(_mongo.Client, repository);

    private Task BackupAsync(TestRepository repository, string database) => SameServer.BackupAsync(_mongo.Client, repository, db => db == database);

    private Task<RestoreReport> RestoreAsync(TestRepository repository, string source, string restored, RecoveryTarget target) =>
        SameServer.RestoreAsync(_mongo.Client, repository, source, restored, target);
}
