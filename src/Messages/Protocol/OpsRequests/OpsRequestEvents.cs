using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.OpsRequests;

public interface IOpsRequestEvent : IWithOpsRequestId
{
    DateTimeOffset At { get; }
}

public sealed record OpsRequestAccepted(ResourceId OpsRequestId, ArchiverOperationType Operation, ResourceId DatabaseId, ResourceId ArchiverId, string? SpecHash, DateTimeOffset At) : IOpsRequestEvent;

/// <summary>Persisted before the step's side effect, so a crash during it leads to running it again.</summary>
public sealed record OpsRequestStepStarted(ResourceId OpsRequestId, OpsRequestStep Step, int Attempt, DateTimeOffset At) : IOpsRequestEvent;

public sealed record OpsRequestStepSucceeded(ResourceId OpsRequestId, OpsRequestStep Step, string Message, DateTimeOffset At) : IOpsRequestEvent;

/// <summary>A step failed; <paramref name="Final"/> when no retry is left (or the failure cannot be retried).</summary>
public sealed record OpsRequestStepFailed(ResourceId OpsRequestId, OpsRequestStep Step, int Attempt, string Reason, bool Final, DateTimeOffset At) : IOpsRequestEvent;

/// <summary>
/// The step cannot succeed until something outside Archiver changes (the database becomes Ready, a secret gets its
/// key, RBAC grants a verb): it is tried again with backoff for as long as that takes and never fails for it. Persisted
/// only when the reason changes, so a request waiting for days does not grow its journal at every try.
/// </summary>
public sealed record OpsRequestStepWaiting(ResourceId OpsRequestId, OpsRequestStep Step, string Reason, DateTimeOffset At) : IOpsRequestEvent;

/// <summary>The archiver changed before the request finished: it stops, neither Successful nor Failed, and blocks nothing.</summary>
public sealed record OpsRequestSkipped(ResourceId OpsRequestId, string Reason, DateTimeOffset At) : IOpsRequestEvent;
