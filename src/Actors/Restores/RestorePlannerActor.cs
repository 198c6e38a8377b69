using Akka.Actor;
using Akka.Event;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Restores;

/// <summary>
/// Works out and runs one point-in-time restore for its parent (the database entity): asks the StorageIndex for a
/// plan, which checks the target against the catalog before anything is written, reports it, waits for the parent
/// to record it, then runs it with progress. A target that cannot be reached (a database KubeDB is still
/// provisioning, a failover, a member restarting) is waited for, with the reason told to the parent, and tried again:
/// the run then starts, or resumes where the last one stopped. The restore fails for good only when the data is at
/// fault (a corrupt chunk, a gap) or the restore is refused. The parent persists every stage.
/// </summary>
public sealed class RestorePlannerActor : ReceiveActor, IWithTimers
{
    /// <summary>The first wait for a target that cannot be reached yet; each next one doubles, up to <see cref="LongestWait"/>.</summary>
    public static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);

    /// <summary>KubeDB takes a minute or more to provision a replica set: looking every half minute is soon enough.</summary>
    public static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);

    private readonly IRestoreRunner _runner;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private int _runs;
    private RestoreJob _job;
    private TimeSpan _wait = FirstWait;
    private bool _running;

    public RestorePlannerActor(RestoreJob job, IActorRef storageIndexes, IRestoreRunner runner, TimeSpan planTimeout)
    {
        _job = job;
        _runner = runner;
        var parent = Context.Parent;
        if (job.Plan is { Document: not null })
        {
            // Planned before (the node stopped, the entity moved): run what was recorded, so the replay it takes up is
            // the one it started, whatever the catalog holds by now.
            Self.Tell(RestorePlannerMessages.Go.Instance);
        }
        else
        {
            storageIndexes.Ask<RecoveryPlanReply>(new PlanRecovery(job.Storage, job.SourcePrefix, job.Target), planTimeout)
                .PipeTo(Self, failure: e => new RecoveryPlanReply(job.SourcePrefix, null, null, $"the storage index did not answer: {e.GetBaseException().Message}"));
        }

        Receive<RecoveryPlanReply>(reply =>
        {
            if (reply.Plan is { Document: not null } plan)
            {
                _job = _job with { Plan = plan };
                parent.Tell(new RestorePlannerMessages.Planned(plan));
            }
            else
            {
                var why = reply.Plan is not null ? "the storage index answered without the plan's document (a node of an older version?)"
                    : reply.Refusal is { } r ? $"{r.Reason}: {r.Message}" : reply.Error ?? "no plan";
                parent.Tell(new RestorePlannerMessages.Finished(null, why, TargetTouched: false));
            }
        });
        Receive<RestorePlannerMessages.Go>(_ => Run(parent));
        Receive<RestorePlannerMessages.Stop>(_ => StopAfterRun());
        Receive<Unreachable>(unreachable =>
        {
            _running = false;
            _log.Info("restore of {0}: run {1} stopped, nothing lost; trying again in {2}: {3}", _job.Database, _runs, _wait, unreachable.Reason);
            // Nothing was written: say why it waits, and try again later (as KubeDB's own restore waits for the database).
            parent.Tell(new RestorePlannerMessages.Waiting(unreachable.Reason, _wait));
            Timers.StartSingleTimer("again", RestorePlannerMessages.Go.Instance, _wait);
            _wait = TimeSpan.FromTicks(Math.Min(_wait.Ticks * 2, LongestWait.Ticks));
        });
        Receive<RestorePlannerMessages.Finished>(finished =>
        {
            _running = false;
            if (finished.Error is { } error) _log.Warning("restore of {0}: run {1} failed: {2}", _job.Database, _runs, error);
            else _log.Info("restore of {0}: run {1} finished", _job.Database, _runs);
            parent.Tell(finished);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RestoreJob job, IActorRef storageIndexes, IRestoreRunner runner, TimeSpan planTimeout) =>
        Akka.Actor.Props.Create(() => new RestorePlannerActor(job, storageIndexes, runner, planTimeout));

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>
    /// Told to stop (its entity is handed to another node): the run is told to stop and the planner ends once it has,
    /// saying nothing of how it ended (the entity that takes the restore up asks the target). Its parent waits for
    /// that, so the node that takes the entity over never runs the restore beside this one.
    /// </summary>
    private void StopAfterRun()
    {
        _stopping.Cancel();
        Timers.CancelAll();
        if (!_running)
        {
            Context.Stop(Self);
            return;
        }

        Become(() =>
        {
            Receive<RestorePlannerMessages.Finished>(_ => Context.Stop(Self));
            Receive<Unreachable>(_ => Context.Stop(Self));
            ReceiveAny(_ => { });
        });
    }

    private void Run(IActorRef parent)
    {
        var progress = new ProgressToActor(parent);
        var job = _job;
        _running = true;
        _runs++;
        _log.Info("restore of {0}: run {1} starts (plan from backup {2})", job.Database, _runs, job.Plan?.BaseBackupId);
        RestoreRuns.For(Context.System).After(job.Database, token => _runner.RunAsync(job, progress, token), _stopping.Token).PipeTo(
            Self,
            success: outcome => new RestorePlannerMessages.Finished(outcome, null, TargetTouched: true),
            failure: e => Unwrap(e) is RestoreTargetUnreachableException unreachable
                ? new Unreachable(unreachable.Message)
                : new RestorePlannerMessages.Finished(null, Unwrap(e).Message, TargetTouched: true));
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerException: { } inner } ? Unwrap(inner) : e;

    private sealed record Unreachable(string Reason) : INoSerializationVerificationNeeded;

    private sealed class ProgressToActor(IActorRef target) : IProgress<RestoreProgressReport>
    {
        public void Report(RestoreProgressReport value) => target.Tell(new RestorePlannerMessages.Progressed(value));
    }
}

/// <summary>What a restore planner and its database entity say to each other, on one node.</summary>
public static class RestorePlannerMessages
{
    public sealed record Planned(PlanInfo Plan) : INoSerializationVerificationNeeded;

    /// <summary>The plan is recorded: the target may now be written.</summary>
    public sealed record Go : INoSerializationVerificationNeeded
    {
        public static readonly Go Instance = new();
    }

    public sealed record Progressed(RestoreProgressReport Progress) : INoSerializationVerificationNeeded;

    /// <summary>Stop once the run in flight, if any, has ended (told to stop): see <see cref="RestorePlannerActor"/>.</summary>
    public sealed record Stop : INoSerializationVerificationNeeded
    {
        public static readonly Stop Instance = new();
    }

    /// <summary>The target cannot be reached yet and nothing was written: the restore tries again after <paramref name="Retry"/>.</summary>
    public sealed record Waiting(string Reason, TimeSpan Retry) : INoSerializationVerificationNeeded;

    public sealed record Finished(RestoreOutcome? Outcome, string? Error, bool TargetTouched) : INoSerializationVerificationNeeded;
}
