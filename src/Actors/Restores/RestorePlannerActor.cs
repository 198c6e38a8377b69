using Akka.Actor;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Restores;

/// <summary>
/// Works out and runs one point-in-time restore for its parent (the database entity): asks the StorageIndex for a
/// plan, which checks the target against the catalog before anything is written, reports it, waits for the parent
/// to record it, then runs it with progress. The parent persists every stage; this actor keeps nothing.
/// </summary>
public sealed class RestorePlannerActor : ReceiveActor
{
    private readonly RestoreJob _job;
    private readonly IRestoreRunner _runner;
    private readonly CancellationTokenSource _stopping = new();

    public RestorePlannerActor(RestoreJob job, IActorRef storageIndexes, IRestoreRunner runner, TimeSpan planTimeout)
    {
        _job = job;
        _runner = runner;
        var parent = Context.Parent;
        storageIndexes.Ask<RecoveryPlanReply>(new PlanRecovery(job.Storage, job.SourcePrefix, job.Time, job.Ts), planTimeout)
            .PipeTo(Self, failure: e => new RecoveryPlanReply(job.SourcePrefix, null, null, $"the storage index did not answer: {e.GetBaseException().Message}"));
        Receive<RecoveryPlanReply>(reply =>
        {
            if (reply.Plan is { } plan) parent.Tell(new RestorePlannerMessages.Planned(plan));
            else parent.Tell(new RestorePlannerMessages.Finished(null, reply.Refusal is { } r ? $"{r.Reason}: {r.Message}" : reply.Error ?? "no plan", TargetTouched: false));
        });
        Receive<RestorePlannerMessages.Go>(_ => Run(parent));
        Receive<RestorePlannerMessages.Finished>(finished => parent.Tell(finished));
    }

    public static Props Props(RestoreJob job, IActorRef storageIndexes, IRestoreRunner runner, TimeSpan planTimeout) =>
        Akka.Actor.Props.Create(() => new RestorePlannerActor(job, storageIndexes, runner, planTimeout));

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private void Run(IActorRef parent)
    {
        var progress = new ProgressToActor(parent);
        _runner.RunAsync(_job, progress, _stopping.Token).PipeTo(
            Self,
            success: outcome => new RestorePlannerMessages.Finished(outcome, null, TargetTouched: true),
            failure: e => new RestorePlannerMessages.Finished(null, e.GetBaseException().Message, TargetTouched: true));
    }

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

    public sealed record Finished(RestoreOutcome? Outcome, string? Error, bool TargetTouched) : INoSerializationVerificationNeeded;
}
