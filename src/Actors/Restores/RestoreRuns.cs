using System.Collections.Concurrent;
using Akka.Actor;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Restores;

/// <summary>
/// The restore runs of one node, one database at a time: a run starts only once the one before it for that database
/// has ended. A database entity that restarts (an exception) stops its planner, whose run is told to stop but ends only
/// at its next await; the entity's new planner would otherwise start the same restore beside it, and two runs of one
/// restore on one target undo each other (one reloads a collection the other loaded and replayed past). Across nodes
/// the entity's hand-off waits for its run instead (<see cref="Databases.DatabaseHandOff"/>).
/// </summary>
public sealed class RestoreRuns : IExtension
{
    private readonly ConcurrentDictionary<ResourceId, Task> _last = new();
    private readonly Lock _sync = new();

    public static RestoreRuns For(ActorSystem system) => system.WithExtension<RestoreRuns, RestoreRunsProvider>();

    /// <summary>Runs <paramref name="run"/> once the database's previous run has ended, however it ended.</summary>
    public Task<T> After<T>(ResourceId database, Func<CancellationToken, Task<T>> run, CancellationToken cancellation)
    {
        Task<T> started;
        lock (_sync)
        {
            var previous = _last.GetValueOrDefault(database) ?? Task.CompletedTask;
            started = RunAfterAsync(previous, run, cancellation);
            _last[database] = started;
        }

        started.ContinueWith(
            t =>
            {
                lock (_sync)
                {
                    if (_last.TryGetValue(database, out var last) && last == t) _last.TryRemove(database, out _);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return started;
    }

    /// <summary>Whether a run of <paramref name="database"/> has not ended yet.</summary>
    public bool Running(ResourceId database) => _last.TryGetValue(database, out var last) && !last.IsCompleted;

    private static async Task<T> RunAfterAsync<T>(Task previous, Func<CancellationToken, Task<T>> run, CancellationToken cancellation)
    {
        try
        {
            await previous.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // How the previous run ended is its planner's to report; this one only waits for it to be over.
        }

        cancellation.ThrowIfCancellationRequested();
        return await run(cancellation).ConfigureAwait(false);
    }

    private sealed class RestoreRunsProvider : ExtensionIdProvider<RestoreRuns>
    {
        public override RestoreRuns CreateExtension(ExtendedActorSystem system) => new();
    }
}
