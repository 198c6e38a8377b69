using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A restore of time-series collections stopped at any one of its commands (while creating one, loading its
/// buckets, replaying bucket writes) and run again takes up where it stopped and restores what an unbroken run does:
/// a time-series collection loaded in part is dropped (view and buckets) and loaded again.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class TimeSeriesResumeTests
{
    [EmulatorOnlyFact]
    public async Task A_time_series_restore_stopped_at_any_of_its_commands_resumes_to_the_same_buckets()
    {
        await using var session = await EmulatorSession.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        using var repository = new TestRepository();
        var client = session.Client;
        await TimeSeries.CreateAsync(client, "farm", "weather");
        await TimeSeries.CreateAsync(client, "farm", "soil", "minutes");
        for (var i = 0; i < 4; i++)
        {
            await TimeSeries.InsertAsync(client, "farm", i % 2 == 0 ? "weather" : "soil", i, $"s{i % 3}");
        }

        await using (var run = new ArchiverRun(client, repository, o => o with { ChunkMaxBytes = 1 }))
        {
            await new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == "farm" }).RunAsync();
            await TimeSeries.InsertAsync(client, "farm", "weather", 10, "s0");
            await TimeSeries.CreateAsync(client, "farm", "later");
            await TimeSeries.InsertAsync(client, "farm", "later", 11);
            await TimeSeries.DropAsync(client, "farm", "soil");
            await run.WaitArchivedAsync(await Oplog.NewestAsync(client));
        }

        var expected = await StateAsync(client, "farm");
        var uri = session.Emulator.ConnectionString;
        RestoreOptions Into(string name) => new()
        {
            IncludeDatabase = d => d == "farm",
            MapDatabase = _ => name,
            OwnsTargetDatabase = d => d == name,
            BatchSize = 1,
        };
        var (commands, _) = await CutOffRestore.CountAsync(uri, repository, Into("farm_whole"), RecoveryTarget.Latest);
        Assert.Equal(expected, await StateAsync(client, "farm_whole"));

        for (var at = 1; at <= commands; at++)
        {
            var name = $"farm_cut{at}";
            var options = Into(name);
            var finished = await CutOffRestore.RunAsync(uri, repository, options, RecoveryTarget.Latest, at);
            _ = finished ?? await new RestoreExecutor(repository.Store, repository.Layout, client, options).RunAsync(RecoveryTarget.Latest);
            Assert.True(expected == await StateAsync(client, name), $"stopped at command {at} of {commands}:\nexpected\n{expected}\nactual\n{await StateAsync(client, name)}");
            await client.DropDatabaseAsync(name);
        }
    }

    /// <summary>Every collection's name, type and options, and each time-series collection's buckets.</summary>
    private static async Task<string> StateAsync(IMongoClient client, string database)
    {
        var db = client.GetDatabase(database);
        var lines = new List<string>();
        foreach (var info in (await (await db.ListCollectionsAsync()).ToListAsync()).OrderBy(i => i["name"].AsString, StringComparer.Ordinal))
        {
            var name = info["name"].AsString;
            if (name == "system.views") continue;
            lines.Add($"{name} {info["type"]} {info.GetValue("options", new BsonDocument()).AsBsonDocument.Where(e => e.Name != "validator").Select(e => e.ToString()).Aggregate(string.Empty, string.Concat)}");
            if (info["type"] == "timeseries")
            {
                var buckets = await db.GetCollection<BsonDocument>("system.buckets." + name).Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
                lines.AddRange(buckets.Select(b => "  " + b.ToJson()));
            }
        }

        return string.Join("\n", lines);
    }
}
