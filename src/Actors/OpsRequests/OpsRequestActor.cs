using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.OpsRequests;

/// <summary>
/// One ops request, carried out one persisted step at a time: the start of a step is persisted before its side
/// effect, its outcome after, so after a crash at any point the entity resumes at the right step and runs an
/// unfinished one again (steps are idempotent). Terminal requests are never re-evaluated.
/// </summary>
public sealed class OpsRequestActor : ReceivePersistentActor, IWithTimers
{
    private const int SnapshotEvery = 50;
    private readonly IOpsRequestSteps _steps;
    private readonly IResourceStore _store;
    private readonly OpsRequestSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private OpsRequestState _state;
    private Task _statusWrites = Task.CompletedTask;
    private bool _stepInFlight;

    public OpsRequestActor(ResourceId id, IOpsRequestSteps steps, IResourceStore store, OpsRequestSettings settings, TimeProvider clock)
    {
        _steps = steps;
        _store = store;
        _settings = settings;
        _clock = clock;
        _state = OpsRequestState.Empty(id);
        PersistenceId = $"opsrequest-{id}";

        Recover<SnapshotOffer>(offer => _state = (OpsRequestState)offer.Snapshot);
        Recover<IOpsRequestEvent>(e => _state = _state.Apply(e));
        Command<StartOpsRequest>(Start);
        Command<GetOpsRequestState>(_ => Sender.Tell(_state));
        Command<RunNextStep>(_ => RunNext());
        Command<StepOutcome>(OnOutcome);
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "snapshot of {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "deleting old snapshots of {0} failed", PersistenceId));
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ResourceId id, IOpsRequestSteps steps, IResourceStore store, OpsRequestSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new OpsRequestActor(id, steps, store, settings, clock));

    protected override void OnReplaySuccess()
    {
        // A request that was under way when its node died picks up where its journal says it was.
        if (_state.IsAccepted && !_state.IsTerminal) Self.Tell(RunNextStep.Instance);
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        base.PostStop();
    }

    private void Start(StartOpsRequest start)
    {
        if (_state.IsAccepted)
        {
            Sender.Tell(_state);
            return;
        }

        var replyTo = Sender;
        PersistAndApply(new OpsRequestAccepted(start.OpsRequestId, start.Operation, start.DatabaseId, start.ArchiverId, start.SpecHash, Now), () =>
        {
            replyTo.Tell(_state);
            RunNext();
        });
    }

    private void RunNext()
    {
        // A step started before a crash (Running, but not in flight here) is run again; one in flight is awaited.
        if (_state.IsTerminal || _stepInFlight || (_state.Running ?? _state.NextStep) is not { } step) return;
        var attempt = _state.Attempt + 1;
        _stepInFlight = true;
        PersistAndApply(new OpsRequestStepStarted(_state.Id, step, attempt, Now), () =>
        {
            var request = _state;
            var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_settings.StepTimeout);
            var run = Task.Run(() => _steps.RunAsync(step, request, timeout.Token), timeout.Token);
            run.ContinueWith(_ => timeout.Dispose(), TaskScheduler.Default);
            run.PipeTo(
                Self,
                success: message => new StepOutcome(step, attempt, message, null),
                failure: error => new StepOutcome(step, attempt, null, error));
        });
    }

    private void OnOutcome(StepOutcome outcome)
    {
        if (_state.Running != outcome.Step || _state.Attempt != outcome.Attempt) return;
        _stepInFlight = false;
        if (outcome.Error is null)
        {
            PersistAndApply(new OpsRequestStepSucceeded(_state.Id, outcome.Step, outcome.Message!, Now), RunNextOrFinish);
            return;
        }

        var error = outcome.Error is AggregateException { InnerException: { } inner } ? inner : outcome.Error;
        if (error is SupersededException)
        {
            PersistAndApply(new OpsRequestSkipped(_state.Id, error.Message, Now), RunNextOrFinish);
            return;
        }

        var reason = error is TaskCanceledException or OperationCanceledException ? $"timed out after {_settings.StepTimeout}" : error.Message;
        var final = error is PermanentStepException || outcome.Attempt >= _settings.MaxAttempts;
        _log.Warning("{0}: {1} attempt {2} failed{3}: {4}", _state.Id, outcome.Step, outcome.Attempt, final ? " for good" : "", reason);
        PersistAndApply(new OpsRequestStepFailed(_state.Id, outcome.Step, outcome.Attempt, reason, final, Now), () =>
        {
            if (final) RunNextOrFinish();
            else Timers.StartSingleTimer("retry", RunNextStep.Instance, _settings.BackoffAfter(outcome.Attempt));
        });
    }

    private void RunNextOrFinish()
    {
        if (!_state.IsTerminal)
        {
            RunNext();
            return;
        }

        // Finished work needs no memory: leave the remembered set once the final status is written.
        var parent = Context.Parent;
        _statusWrites.ContinueWith(_ => parent.Tell(new Passivate(PoisonPill.Instance)), TaskScheduler.Default);
    }

    private void PersistAndApply(IOpsRequestEvent e, Action then)
    {
        Persist(e, persisted =>
        {
            _state = _state.Apply(persisted);
            PublishStatus(_state);
            if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state);
            then();
        });
    }

    /// <summary>Writes phase and conditions to the MongoDBOpsRequest resource, in order, one write at a time.</summary>
    private void PublishStatus(OpsRequestState state)
    {
        var store = _store;
        var log = _log;
        _statusWrites = _statusWrites.ContinueWith(async _ =>
        {
            try
            {
                var resource = await store.GetAsync<MongoDBOpsRequest>(state.Id);
                if (resource is null) return;
                resource.Metadata.ResourceVersion = null;
                await store.ReplaceStatusAsync(resource with
                {
                    Status = new MongoDBOpsRequestStatus { Phase = state.Phase, Conditions = state.Conditions, ObservedGeneration = resource.Metadata.Generation },
                });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Warning(e, "could not write the status of {0}", state.Id);
            }
        }, TaskScheduler.Default).Unwrap();
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    // Self-messages never leave this node, so they are exempt from serialization checks.
    private sealed record RunNextStep : INoSerializationVerificationNeeded
    {
        public static readonly RunNextStep Instance = new();
    }

    private sealed record StepOutcome(OpsRequestStep Step, int Attempt, string? Message, Exception? Error) : INoSerializationVerificationNeeded;
}
