using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.OpsRequests;

/// <summary>
/// An ops request's progress: its plan, how many steps are done, the step under way. Changed only by
/// <see cref="Apply"/>, the one function both recovery and the live actor use.
/// </summary>
public sealed record OpsRequestState : IArchiverProtocolMember
{
    public required ResourceId Id { get; init; }
    public OpsRequestPhase Phase { get; init; } = OpsRequestPhase.Pending;
    public ArchiverOperationType? Operation { get; init; }
    public ResourceId? DatabaseId { get; init; }
    public ResourceId? ArchiverId { get; init; }
    public string? SpecHash { get; init; }
    public IReadOnlyList<OpsRequestStep> Plan { get; init; } = [];
    /// <summary>How many steps of the plan have succeeded.</summary>
    public int Completed { get; init; }
    /// <summary>The step started and not yet finished: after a crash, the one to run again.</summary>
    public OpsRequestStep? Running { get; init; }
    public int Attempt { get; init; }
    public IReadOnlyList<Condition> Conditions { get; init; } = [];
    public string? FailureReason { get; init; }
    /// <summary>What the running step waits for (<see cref="OpsRequestStepWaiting"/>), until it succeeds or fails.</summary>
    public string? WaitingFor { get; init; }
    public DateTimeOffset? AcceptedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>
    /// Not a request at all: the configure steps a database's own entity runs when the database was created naming its
    /// archiver, before KubeDB has made its pods (so they are admitted with the sidecar, and nothing restarts).
    /// </summary>
    public bool AtCreation { get; init; }

    public static OpsRequestState Empty(ResourceId id) => new() { Id = id };

    public bool IsAccepted => Operation is not null;

    /// <summary>Successful, Failed and Skipped are terminal: nothing re-evaluates them.</summary>
    public bool IsTerminal => Phase is OpsRequestPhase.Successful or OpsRequestPhase.Failed or OpsRequestPhase.Skipped;

    public OpsRequestStep? NextStep => IsAccepted && !IsTerminal && Completed < Plan.Count ? Plan[Completed] : null;

    public OpsRequestState Apply(IOpsRequestEvent e) => e switch
    {
        OpsRequestAccepted a => this with
        {
            Operation = a.Operation,
            DatabaseId = a.DatabaseId,
            ArchiverId = a.ArchiverId,
            SpecHash = a.SpecHash,
            Plan = OpsRequestPlans.For(a.Operation),
            Phase = OpsRequestPhase.Pending,
            AcceptedAt = a.At,
        },
        OpsRequestStepStarted s => this with
        {
            Phase = OpsRequestPhase.Progressing,
            Running = s.Step,
            Attempt = s.Attempt,
        },
        OpsRequestStepSucceeded s => Finish(this with
        {
            Completed = Completed + 1,
            Running = null,
            Attempt = 0,
            WaitingFor = null,
            Conditions = OpsRequestConditions.Set(Conditions, OpsRequestConditions.StepSucceeded(s)),
        }, s.At),
        // Still the step under way: after a crash it is run again, and the wait goes on from there.
        OpsRequestStepWaiting w => this with
        {
            WaitingFor = w.Reason,
            Conditions = OpsRequestConditions.Set(Conditions, OpsRequestConditions.StepWaiting(w)),
        },
        OpsRequestStepFailed f => this with
        {
            Running = null,
            WaitingFor = null,
            Phase = f.Final ? OpsRequestPhase.Failed : Phase,
            FailureReason = f.Final ? $"{f.Step} failed: {f.Reason}" : FailureReason,
            FinishedAt = f.Final ? f.At : FinishedAt,
            Conditions = OpsRequestConditions.Set(Conditions, OpsRequestConditions.StepFailed(f)),
        },
        OpsRequestSkipped k => this with
        {
            Running = null,
            WaitingFor = null,
            Phase = OpsRequestPhase.Skipped,
            FailureReason = k.Reason,
            FinishedAt = k.At,
        },
        _ => throw new ArgumentException($"unknown ops request event {e.GetType().Name}", nameof(e)),
    };

    private static OpsRequestState Finish(OpsRequestState state, DateTimeOffset at) =>
        state.Completed < state.Plan.Count ? state : state with
        {
            Phase = OpsRequestPhase.Successful,
            FinishedAt = at,
            Conditions = OpsRequestConditions.Set(state.Conditions, OpsRequestConditions.Successful(at)),
        };
}
