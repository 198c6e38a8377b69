extern alias mongodriver;

using Archiver.Mongo;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// One database's history in a repository, as production makes it: an archiver follows the oplog, a logical full
/// backup is taken after the base is written, then the writes after it are archived; <see cref="Plan"/> is the
/// catalog's plan to its last entry, which both sides of a restore figure follow.
/// </summary>
internal sealed record ArchivedHistory(IObjectStore Store, RepositoryLayout Layout, string Database, RestorePlan Plan)
{
    /// <summary>Where the plan ends: the last archived entry, as a ts target.</summary>
    public RecoveryTarget Target => RecoveryTarget.AtTs(Plan.Target.Ts!.Value);

    /// <summary>The base backup's consistent point: a restore to it loads the base and replays nothing after it.</summary>
    public RecoveryTarget BaseOnly => RecoveryTarget.AtTs(Plan.BaseBackup.ConsistentAt);

    public static async Task<ArchivedHistory> RecordAsync(
        IMongoClient source, BenchFolder folder, string database, Func<IMongoDatabase, Task> writeBase, Func<IMongoClient, IMongoDatabase, Task> writeAfter)
    {
        var store = new LocalFolderStore(folder.NewRepository());
        var layout = RepositoryLayout.ForDatabase("MongoDB", "bench", database);
        var archiver = new OplogArchiver(source, store, layout, new OplogArchiverOptions
        {
            Component = "rs0",
            Timeline = 1,
            StartAfter = await NewestAsync(source),
            ChunkMaxAge = TimeSpan.FromMilliseconds(200),
            MaxAwaitTime = TimeSpan.FromMilliseconds(50),
        });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => archiver.RunAsync(stop.Token));
        var db = source.GetDatabase(database);
        await writeBase(db);
        await new LogicalBackup(source, store, layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = d => d == database }).RunAsync();
        await writeAfter(source, db);
        var last = await NewestAsync(source);
        while (!(archiver.Status.WalSegmentEnd is { } end && end >= last))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await run;
        var plan = await new RestoreExecutor(store, layout, source).PlanAsync(RecoveryTarget.Latest);
        return new ArchivedHistory(store, layout, database, plan);
    }

    private static async Task<OplogTimestamp> NewestAsync(IMongoClient client)
    {
        var newest = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync();
        return OplogFields.ToStorage(newest["ts"].AsBsonTimestamp);
    }
}
