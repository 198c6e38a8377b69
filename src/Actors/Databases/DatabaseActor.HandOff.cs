using Akka.Actor;
using Akka.Event;
using Archiver.Actors.Restores;

namespace Archiver.Actors.Databases;

/// <summary>
/// Handing the entity to another node. A run told to stop ends only at its next await, and what it already sent still
/// lands: a restore the new node took up at once would run beside the old one on the same target, and one reloads a
/// collection the other has loaded and replayed past (seen in the cluster demo, after a node came back and shards moved
/// to it: a restored database left with its base backup's documents only). So the entity stops its runs, waits for
/// them to end, and only then stops; the region holds the entity's messages meanwhile, and hands off after it stops
/// (bounded by <c>akka.cluster.sharding.handoff-timeout</c>, a minute by default; this waits a little less).
/// </summary>
public sealed partial class DatabaseActor
{
    /// <summary>How long a hand-off waits for the runs to end before the entity stops regardless.</summary>
    internal static readonly TimeSpan HandOffWait = TimeSpan.FromSeconds(45);

    private readonly Dictionary<string, Task> _runTasks = [];

    private void OnHandOff()
    {
        foreach (var cancel in _running.Values) cancel.Cancel();
        var backups = Task.WhenAll(_runTasks.Values);
        var restorer = _restorer;
        if (restorer is null && backups.IsCompleted)
        {
            Context.Stop(Self);
            return;
        }

        _log.Info("{0}: handed to another node; stopping once its {1} ends", _state.Id, restorer is null ? "full backups" : "restore run");
        if (restorer is not null)
        {
            Context.Watch(restorer);
            restorer.Tell(RestorePlannerMessages.Stop.Instance);
        }

        var backupsDone = backups.IsCompleted;
        backups.ContinueWith(_ => BackupsEnded.Instance, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).PipeTo(Self);
        Timers.StartSingleTimer("hand-off", HandOffTimedOut.Instance, HandOffWait);
        Become(() =>
        {
            Command<Terminated>(t =>
            {
                if (!t.ActorRef.Equals(restorer)) return;
                restorer = null;
                _restorer = null;
                if (backupsDone) Context.Stop(Self);
            });
            Command<BackupsEnded>(_ =>
            {
                backupsDone = true;
                if (restorer is null) Context.Stop(Self);
            });
            Command<HandOffTimedOut>(_ =>
            {
                _log.Warning("{0}: its runs did not end within {1} of the hand-off; stopping regardless", _state.Id, HandOffWait);
                Context.Stop(Self);
            });
            // Everything else waits for the new node: the region delivers nothing more here, and what this entity's
            // own runs report now is for the one that takes it up to find out again.
            CommandAny(_ => { });
        });
    }

    private sealed record BackupsEnded
    {
        public static readonly BackupsEnded Instance = new();
    }

    private sealed record HandOffTimedOut
    {
        public static readonly HandOffTimedOut Instance = new();
    }
}
