using Archiver.Emulators.MongoDb;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Storage;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>An archiver per replica set of the cluster, each filing its chunks under its replica set's name.</summary>
internal sealed class ClusterArchivers : IAsyncDisposable
{
    private readonly List<(MongoEmulator Set, ArchiverRun Run, MongoClient Client)> _runs = [];
    private readonly TestRepository _repository;

    public ClusterArchivers(ShardedMongoEmulator cluster, TestRepository repository)
    {
        _repository = repository;
        foreach (var set in cluster.Shards.Append(cluster.ConfigServer))
        {
            var client = TestClients.Create(set.ConnectionString);
            _runs.Add((set, new ArchiverRun(client, repository, o => o with { Component = NameOf(set) }), client));
        }
    }

    /// <summary>The run archiving <paramref name="component"/> now.</summary>
    public ArchiverRun Run(string component) => _runs.Single(r => NameOf(r.Set) == component).Run;

    /// <summary>Stops (as a kill) the archiver of one replica set; <see cref="StartAgain"/> runs a new one.</summary>
    public Task StopAsync(string component) => Run(component).DisposeAsync().AsTask();

    public void StartAgain(string component)
    {
        var index = _runs.FindIndex(r => NameOf(r.Set) == component);
        var (set, _, client) = _runs[index];
        _runs[index] = (set, new ArchiverRun(client, _repository, o => o with { Component = component }), client);
    }

    private static string NameOf(MongoEmulator set) =>
        set.ConnectionString[(set.ConnectionString.IndexOf("replicaSet=", StringComparison.Ordinal) + "replicaSet=".Length)..];

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
