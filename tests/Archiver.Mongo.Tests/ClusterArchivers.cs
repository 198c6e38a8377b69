using Archiver.Emulators.MongoDb;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Storage;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>An archiver per replica set of the cluster, each filing its chunks under its replica set's name.</summary>
internal sealed class ClusterArchivers : IAsyncDisposable
{
    private readonly List<(MongoEmulator Set, ArchiverRun Run, MongoClient Client)> _runs = [];

    public ClusterArchivers(ShardedMongoEmulator cluster, TestRepository repository)
    {
        foreach (var set in cluster.Shards.Append(cluster.ConfigServer))
        {
            var client = TestClients.Create(set.ConnectionString);
            var name = set.ConnectionString[(set.ConnectionString.IndexOf("replicaSet=", StringComparison.Ordinal) + "replicaSet=".Length)..];
            _runs.Add((set, new ArchiverRun(client, repository, o => o with { Component = name }), client));
        }
    }

    /// <summary>
    /// Every set's oplog is taken past <paramref name="upTo"/> by its periodic no-op (the test's sets write none of
    /// their own: ticked here once the clock's second is past), then archived that far: an idle replica set's
    /// archive must cover a point too, or the cluster cannot be restored to it.
    /// </summary>
    public async Task WaitArchivedAsync(OplogTimestamp upTo)
    {
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= upTo.Seconds)
        {
            await Task.Delay(50);
        }

        foreach (var (set, run, _) in _runs)
        {
            // The no-op writer writes only when nothing was written since its last tick: the first tick notes where it is.
            set.TickPeriodicNoop();
            set.TickPeriodicNoop();
            await run.WaitArchivedAsync(OplogFields.ToStorage(set.LastAppliedTimestamp));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, run, client) in _runs)
        {
            await run.DisposeAsync();
            TestClients.Dispose(client);
        }
    }
}
