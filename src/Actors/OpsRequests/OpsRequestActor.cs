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
/// unfinished one again (steps are idempotent). A step's outcome and the next step's start are one journal write,
/// as are the acceptance and the first start: the same events, half the round trips. Terminal requests are never
/// re-evaluated.
/// </summary>
public sealed class OpsRequestActor : ReceivePersistentActor, IWithTimers
{
    private readonly IOpsRequestSteps _steps;
    private readonly OpsRequestSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly LatestStatusWriter<OpsRequestState> _status;
    private readonly IEventRecorder? _events;
    private readonly IResourceStore _store;
    private string? _uid;
    private OpsRequestState _state;
    private bool _stepInFlight;

    // Tries of the current wait, for its backoff; not persisted: after a restart the wait starts again from a short one.
    private int _waits;

    public OpsRequestActor(ResourceId id, IOpsRequestSteps steps, IResourceStore store, OpsRequestSettings settings, TimeProvider clock, IEventRecorder? events = null)
    {
        _events = events;
        _store = store;
        _steps = steps;
        _settings = settings;
        _clock = clock;
        _state = OpsRequestState.Empty(id);
        var log = _log;
        _status = new LatestStatusWriter<OpsRequestState>(state => WriteStatusAsync(store, state, log));
        PersistenceId = $"opsrequest-{id}";

        Recover<IOpsRequestEvent>(e => _state = _state.Apply(e));
        Command<StartOpsRequest>(Start);
        Command<GetOpsRequestState>(_ => Sender.Tell(_state));
        Command<RunNextStep>(_ => RunNext());
        Command<StepOutcome>(OnOutcome);
        Command<RetryWaitingStep>(RetryWaiting);
        Command<UidLearned>(learned => _uid ??= learned.Uid);
    }

    public override string PersistenceId { get; }

    /// <summary>
    /// From the events alone, never a snapshot: a request has a dozen events, so replaying them costs less than the
    /// snapshot store's query that every recovery would otherwise make first (one per new request, thousands when a
    /// fleet is configured at once). The journal keeps every event, so nothing older is needed.
    /// </summary>
    public override Recovery Recovery => new(SnapshotSelectionCriteria.None);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ResourceId id, IOpsRequestSteps steps, IResourceStore store, OpsRequestSettings settings, TimeProvider clock, IEventRecorder? events = null) =>
        Akka.Actor.Props.Create(() => new OpsRequestActor(id, steps, store, settings, clock, events));

    // Counted for the node's /metrics (archiver_node_entities, archiver_node_opsrequests): which entities live where, in
    // which phase.
    protected override void PreStart()
    {
        Metrics.NodeMetrics.For(Context.System).Entity("opsrequest", +1);
        base.PreStart();
    }

    protected override void OnReplaySuccess()
    {
        ExportPhase();
        // A request that was under way when its node died picks up where its journal says it was.
        if (_state.IsAccepted && !_state.IsTerminal) Self.Tell(RunNextStep.Instance);
    }

    protected override void PostStop()
    {
        var metrics = Metrics.NodeMetrics.For(Context.System);
        metrics.Entity("opsrequest", -1);
        metrics.OpsRequest(_state.Id, null);
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
        Advance([new OpsRequestAccepted(start.OpsRequestId, start.Operation, start.DatabaseId, start.ArchiverId, start.SpecHash, Now)], () => replyTo.Tell(_state));
    }

    private void RunNext() => Advance([]);

    /// <summary>
    /// Persists the events together with the start of the step they lead to (the next one, or one started before a
    /// crash and not finished here), then runs that step; a request they end is passivated.
    /// </summary>
    private void Advance(IReadOnlyList<IOpsRequestEvent> events, Action? persisted = null)
    {
        var after = events.Aggregate(_state, (state, e) => state.Apply(e));
        var batch = events.ToList();
        (OpsRequestStep Step, int Attempt)? launch = null;
        // A step in flight is awaited, never started twice.
        if (!after.IsTerminal && !_stepInFlight && (after.Running ?? after.NextStep) is { } step)
        {
            launch = (step, after.Attempt + 1);
            batch.Add(new OpsRequestStepStarted(_state.Id, step, after.Attempt + 1, Now));
            _stepInFlight = true;
        }

        if (batch.Count == 0) return;
        PersistAllAndApply(batch, () =>
        {
            persisted?.Invoke();
            if (launch is { } run) Launch(run.Step, run.Attempt);
            else if (_state.IsTerminal) Finish();
        });
    }

    private void Launch(OpsRequestStep step, int attempt)
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
    }

    private void OnOutcome(StepOutcome outcome)
    {
        if (_state.Running != outcome.Step || _state.Attempt != outcome.Attempt) return;
        _stepInFlight = false;
        if (outcome.Error is null)
        {
            _waits = 0;
            Advance([new OpsRequestStepSucceeded(_state.Id, outcome.Step, outcome.Message!, Now)]);
            return;
        }

        var error = outcome.Error is AggregateException { InnerException: { } inner } ? inner : outcome.Error;
        if (error is SupersededException)
        {
            Advance([new OpsRequestSkipped(_state.Id, error.Message, Now)]);
            return;
        }

        var reason = error is TaskCanceledException or OperationCanceledException ? $"timed out after {_settings.StepTimeout}" : error.Message;
        var kind = StepFailures.Classify(error);
        if (kind == StepFailureKind.Wait)
        {
            Wait(outcome, reason);
            return;
        }

        _waits = 0;
        var final = kind == StepFailureKind.Fail || outcome.Attempt >= _settings.MaxAttempts;
        _log.Warning("{0}: {1} attempt {2} failed{3}: {4}", _state.Id, outcome.Step, outcome.Attempt, final ? " for good" : "", reason);
        var failed = new OpsRequestStepFailed(_state.Id, outcome.Step, outcome.Attempt, reason, final, Now);
        if (final)
        {
            Advance([failed]);
            return;
        }

        PersistAllAndApply([failed], () => Timers.StartSingleTimer("retry", RunNextStep.Instance, _settings.BackoffAfter(outcome.Attempt)));
    }

    /// <summary>
    /// The step waits for its cause to be fixed: the same step is run again after a backoff that grows to
    /// <see cref="OpsRequestSettings.MaxBackoff"/>, with no attempt counted and nothing persisted unless the reason changed
    /// (the step is still the one under way, so after a crash it is run again as any unfinished step).
    /// </summary>
    private void Wait(StepOutcome outcome, string reason)
    {
        _waits++;
        void Later() => Timers.StartSingleTimer("retry", new RetryWaitingStep(outcome.Step, outcome.Attempt), _settings.BackoffAfter(_waits));
        if (_state.WaitingFor == reason)
        {
            Later();
            return;
        }

        _log.Warning("{0}: {1} waits: {2}", _state.Id, outcome.Step, reason);
        PersistAllAndApply([new OpsRequestStepWaiting(_state.Id, outcome.Step, reason, Now)], Later);
    }

    private void RetryWaiting(RetryWaitingStep retry)
    {
        if (_state.IsTerminal || _stepInFlight || _state.Running != retry.Step || _state.Attempt != retry.Attempt) return;
        _stepInFlight = true;
        Launch(retry.Step, retry.Attempt);
    }

    /// <summary>Finished work needs no memory: leave the remembered set once the final status is written.</summary>
    private void Finish()
    {
        var parent = Context.Parent;
        // The shard knows which entity asks to passivate by the sender: it must be this one.
        var self = Self;
        _status.Idle.ContinueWith(_ => parent.Tell(new Passivate(PoisonPill.Instance), self), TaskScheduler.Default);
    }

    private void ExportPhase() => Metrics.NodeMetrics.For(Context.System).OpsRequest(_state.Id, _state.Phase.ToString());

    private void PersistAllAndApply(IReadOnlyList<IOpsRequestEvent> events, Action then)
    {
        var left = events.Count;
        PersistAll(events, persisted =>
        {
            _state = _state.Apply(persisted);
            Tell(persisted);
            ExportPhase();
            if (--left > 0) return;
            _status.Post(_state);
            then();
        });
    }

    /// <summary>
    /// Tells what <paramref name="persisted"/> means about the request (<see cref="OpsRequestNarration"/>), on the
    /// MongoDBOpsRequest as it is now: its uid, read once, keeps the Events off another request created later under its name.
    /// </summary>
    private void Tell(IOpsRequestEvent persisted)
    {
        if (_events is not { } events) return;
        var drafts = OpsRequestNarration.Of(persisted, _state, EventSubject.OpsRequest(_state.Id, _uid)).ToList();
        if (drafts.Count == 0) return;
        if (_uid is not null)
        {
            foreach (var draft in drafts) events.Record(draft);
            return;
        }

        var store = _store;
        var id = _state.Id;
        var log = _log;
        _ = Task.Run(async () =>
        {
            try
            {
                var uid = (await store.GetAsync<MongoDBOpsRequest>(id))?.Metadata.Uid;
                foreach (var draft in drafts) events.Record(draft with { Regarding = draft.Regarding with { Uid = uid } });
                return uid;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Warning("could not read {0} to tell its Events: {1}", id, e.Message);
                return null;
            }
        }).PipeTo(Self, success: uid => new UidLearned(uid));
    }

    /// <summary>Writes phase and conditions to the MongoDBOpsRequest resource.</summary>
    private static async Task WriteStatusAsync(IResourceStore store, OpsRequestState state, ILoggingAdapter log)
    {
        try
        {
            await store.UpdateStatusAsync<MongoDBOpsRequest>(state.Id, resource => resource with
            {
                Status = new MongoDBOpsRequestStatus { Phase = state.Phase, Conditions = state.Conditions, ObservedGeneration = resource.Metadata.Generation },
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Warning(e, "could not write the status of {0}", state.Id);
        }
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    // Self-messages never leave this node, so they are exempt from serialization checks.
    private sealed record RunNextStep : INoSerializationVerificationNeeded
    {
        public static readonly RunNextStep Instance = new();
    }

    private sealed record RetryWaitingStep(OpsRequestStep Step, int Attempt) : INoSerializationVerificationNeeded;

    private sealed record UidLearned(string? Uid) : INoSerializationVerificationNeeded;

    private sealed record StepOutcome(OpsRequestStep Step, int Attempt, string? Message, Exception? Error) : INoSerializationVerificationNeeded;
}
