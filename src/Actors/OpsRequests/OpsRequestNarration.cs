using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.OpsRequests;

/// <summary>
/// The Events an ops request shows in <c>kubectl describe</c>: each step done, waiting or failed, and the outcome, as
/// KubeDB's ops-manager tells its own steps; a pure function of the persisted event and the state it leads to.
/// </summary>
public static class OpsRequestNarration
{
    public const string StartingReason = "Starting";
    public const string WaitingReason = "Waiting";
    public const string StepFailedReason = "StepFailed";
    public const string SuccessfulReason = "Successful";
    public const string FailedReason = "Failed";
    public const string SkippedReason = "Skipped";

    public static IEnumerable<EventDraft> Of(IOpsRequestEvent e, OpsRequestState after, EventSubject subject)
    {
        switch (e)
        {
            case OpsRequestAccepted a:
                yield return EventDraft.Normal(subject, StartingReason, $"{a.Operation} of MongoDB {a.DatabaseId} for archiver {a.ArchiverId}: {string.Join(", ", after.Plan)}");
                break;
            case OpsRequestStepSucceeded s:
                yield return EventDraft.Normal(subject, s.Step.ToString(), s.Message);
                if (after.Phase == OpsRequestPhase.Successful)
                {
                    yield return EventDraft.Normal(subject, SuccessfulReason, $"{after.Operation} done in {Whole(after)}");
                }

                break;
            case OpsRequestStepWaiting w:
                yield return EventDraft.Normal(subject, WaitingReason, $"{w.Step}: {w.Reason}");
                break;
            case OpsRequestStepFailed f when f.Final:
                yield return EventDraft.Warn(subject, FailedReason, $"{f.Step} failed, attempt {f.Attempt}, no retry left: {f.Reason}");
                break;
            case OpsRequestStepFailed f:
                yield return EventDraft.Warn(subject, StepFailedReason, $"{f.Step} failed, attempt {f.Attempt}, retrying: {f.Reason}");
                break;
            case OpsRequestSkipped k:
                yield return EventDraft.Normal(subject, SkippedReason, k.Reason);
                break;
        }
    }

    private static string Whole(OpsRequestState state) =>
        state.AcceptedAt is { } from && state.FinishedAt is { } to
            ? Messages.Validation.GoDuration.Format(TimeSpan.FromSeconds(Math.Max(0, Math.Round((to - from).TotalSeconds))))
            : "?";
}
