using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.OpsRequests;

/// <summary>The conditions an ops request reports: one per step (named for the step), and <c>Successful</c> at the end.</summary>
public static class OpsRequestConditions
{
    public const string SuccessfulType = "Successful";

    /// <summary>The reason of a step's condition while it waits for a cause outside Archiver (<see cref="StepWaiting"/>).</summary>
    public const string WaitingReason = "Waiting";

    public static Condition StepSucceeded(OpsRequestStepSucceeded e) => new()
    {
        Type = e.Step.ToString(),
        Status = ConditionStatus.True,
        Reason = "StepSucceeded",
        Message = e.Message,
        LastTransitionTime = e.At,
    };

    public static Condition StepFailed(OpsRequestStepFailed e) => new()
    {
        Type = e.Step.ToString(),
        Status = ConditionStatus.False,
        Reason = e.Final ? "StepFailed" : "StepRetrying",
        Message = e.Final ? e.Reason : $"attempt {e.Attempt} failed, will retry: {e.Reason}",
        LastTransitionTime = e.At,
    };

    /// <summary>The step waits for a cause outside Archiver to be fixed; the message is that cause, in one line.</summary>
    public static Condition StepWaiting(OpsRequestStepWaiting e) => new()
    {
        Type = e.Step.ToString(),
        Status = ConditionStatus.False,
        Reason = WaitingReason,
        Message = e.Reason,
        LastTransitionTime = e.At,
    };

    public static Condition Successful(DateTimeOffset at) => new()
    {
        Type = SuccessfulType,
        Status = ConditionStatus.True,
        Reason = "OpsRequestSucceeded",
        Message = "every step succeeded",
        LastTransitionTime = at,
    };

    /// <summary>Replaces the condition of the same type, or adds it.</summary>
    public static IReadOnlyList<Condition> Set(IReadOnlyList<Condition> conditions, Condition condition) =>
        [.. conditions.Where(c => c.Type != condition.Type), condition];
}
