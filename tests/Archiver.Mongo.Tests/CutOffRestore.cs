using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Driver.Core.Events;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A restore run whose client is cut off at its k-th command, as when the node running it is killed or its connection
/// lost: that command may or may not reach the server, and nothing after it does.
/// </summary>
internal static class CutOffRestore
{
    /// <summary>The run's report if it finished before its <paramref name="at"/>-th command, else null (it was stopped).</summary>
    public static async Task<RestoreReport?> RunAsync(string uri, TestRepository repository, RestoreOptions options, RecoveryTarget target, int at)
    {
        using var stop = new CancellationTokenSource();
        var commands = 0;
        var client = TestClients.Create(uri, s => s.ClusterConfigurator = c => c.Subscribe<CommandStartedEvent>(_ =>
        {
            if (Interlocked.Increment(ref commands) == at)
            {
                stop.Cancel();
            }
        }));
        try
        {
            return await new RestoreExecutor(repository.Store, repository.Layout, client, options).RunAsync(target, cancellationToken: stop.Token);
        }
        catch (Exception e) when (stop.IsCancellationRequested && (e is OperationCanceledException || MongoTransience.IsTransient(e)))
        {
            return null;
        }
        finally
        {
            TestClients.Dispose(client);
            if (stop.IsCancellationRequested)
            {
                // The command cut off may still be on its way and land: the next run starts once it has, as the node that
                // takes a restore up starts well after the one that stopped (it is recovered, and plans again, first).
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>How many commands a whole run of the restore sends.</summary>
    public static async Task<(int Commands, RestoreReport Report)> CountAsync(string uri, TestRepository repository, RestoreOptions options, RecoveryTarget target)
    {
        var commands = 0;
        var client = TestClients.Create(uri, s => s.ClusterConfigurator = c => c.Subscribe<CommandStartedEvent>(_ => Interlocked.Increment(ref commands)));
        try
        {
            var report = await new RestoreExecutor(repository.Store, repository.Layout, client, options).RunAsync(target);
            return (Volatile.Read(ref commands), report);
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }
}
