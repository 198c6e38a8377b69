using System.Globalization;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Databases;

/// <summary>
/// The Events a database shows in <c>kubectl describe</c>, as pure functions of what its entity persisted or observed:
/// full backups started, succeeded (with duration and size) and failed; a restore started, planned, its progress at
/// each quarter, and its outcome; the <c>Archiving</c> alarm raised and cleared. Only what a person acts on or asks
/// about afterwards is told; schedule bookkeeping is not.
/// </summary>
public static class DatabaseNarration
{
    public const string BackupStartedReason = "BackupStarted";
    public const string BackupSucceededReason = "BackupSucceeded";
    public const string BackupFailedReason = "BackupFailed";
    public const string BackupSkippedReason = "BackupSkipped";
    public const string RestoreStartedReason = "RestoreStarted";
    public const string RestorePlannedReason = "RestorePlanned";
    public const string RestoreProgressReason = "RestoreProgress";
    public const string RestoredReason = "Restored";
    public const string RestoreFailedReason = "RestoreFailed";
    public const string ArchivingHealthyReason = "ArchivingHealthy";

    /// <summary>
    /// What <paramref name="e"/>, applied to <paramref name="before"/>, tells; <paramref name="storedBytes"/> is the size
    /// the runner reported for a backup that succeeded.
    /// </summary>
    public static EventDraft? Of(IDatabaseEvent e, DatabaseState before, EventSubject subject, long? storedBytes = null) => e switch
    {
        BackupStarted s => EventDraft.Normal(subject, BackupStartedReason,
            $"full backup {s.RunId} started" + (s.Attempt > 1 ? $", attempt {s.Attempt}" : "") + (s.ScheduledFor is { } at ? $", scheduled for {Time(at)}" : ", on demand")),
        BackupSucceeded s => EventDraft.Normal(subject, BackupSucceededReason,
            $"full backup {s.BackupId} succeeded"
            + (before.Active.TryGetValue(s.RunId, out var run) ? $" in {GoDuration.Format(Whole(s.At - run.StartedAt))}" : "")
            + (storedBytes is { } bytes ? $", {ByteQuantity.Format(bytes)} stored" : "")
            + (s.VolumeSnapshots is { Count: > 0 } volumes ? $", {volumes.Count} volume snapshot{(volumes.Count == 1 ? "" : "s")}" : "")),
        BackupFailed f => EventDraft.Warn(subject, BackupFailedReason,
            $"full backup {f.RunId}, attempt {f.Attempt}, failed: {f.Reason}" + (f.RetryAt is { } retry ? $"; retrying at {Time(retry)}" : "; no retry left")),
        BackupSkipped k => EventDraft.Warn(subject, BackupSkippedReason, $"full backup scheduled for {Time(k.ScheduledFor)} skipped: {k.Reason}"),
        RestoreRequested r => EventDraft.Normal(subject, RestoreStartedReason, $"restoring to {Time(r.Target)} from {r.SourcePrefix}"),
        RestorePlanned p => EventDraft.Normal(subject, RestorePlannedReason,
            $"restore plan: full backup {p.Plan.BaseBackupId}, then {p.Plan.Chunks} oplog chunk{(p.Plan.Chunks == 1 ? "" : "s")} ({ByteQuantity.Format(p.Plan.BytesToRead)}) replayed"),
        RestoreSucceeded s => EventDraft.Normal(subject, RestoredReason,
            $"restored to {(before.Restore is { } restore ? Time(restore.Target) : "its target")}: full backup {s.BaseBackupId} and {s.EntriesApplied.ToString("N0", CultureInfo.InvariantCulture)} oplog entries"
            + (s.Skipped.Count > 0 ? $"; left out: {string.Join(", ", s.Skipped)}" : "")),
        RestoreFailed f => EventDraft.Warn(subject, RestoreFailedReason, $"restore failed: {f.Reason}" + (f.TargetTouched ? "" : " (nothing was written to the database)")),
        _ => null,
    };

    /// <summary>A milestone passed between two progress reports: each quarter of the entries to replay, once.</summary>
    public static EventDraft? Progress(RestoreProgressReport? before, RestoreProgressReport now, EventSubject subject)
    {
        if (now.EntriesTotal <= 0) return null;
        var was = before is null || before.EntriesTotal != now.EntriesTotal ? 0 : Quarter(before);
        var reached = Quarter(now);
        return reached > was && reached < 4
            ? EventDraft.Normal(subject, RestoreProgressReason,
                $"{reached * 25}% of the oplog replayed: {now.EntriesDone.ToString("N0", CultureInfo.InvariantCulture)} of {now.EntriesTotal.ToString("N0", CultureInfo.InvariantCulture)} entries")
            : null;
    }

    /// <summary>
    /// The <c>Archiving</c> alarm raised (or its cause changed) or cleared between two conditions; a message that only
    /// moves (<c>45s behind</c>, then <c>50s behind</c>) under the same reason is the same alarm, told once.
    /// </summary>
    public static EventDraft? Archiving(Condition? before, Condition after, EventSubject subject) => (before, after) switch
    {
        (_, { Status: ConditionStatus.False }) when before is not { Status: ConditionStatus.False } || before.Reason != after.Reason =>
            EventDraft.Warn(subject, after.Reason ?? "ArchivingFailed", after.Message ?? ""),
        ({ Status: ConditionStatus.False }, { Status: ConditionStatus.True }) =>
            EventDraft.Normal(subject, ArchivingHealthyReason, $"archiving is healthy again ({after.Message}) after {before.Reason}"),
        _ => null,
    };

    private static int Quarter(RestoreProgressReport report) => (int)Math.Min(4, report.EntriesDone * 4 / Math.Max(1, report.EntriesTotal));

    private static TimeSpan Whole(TimeSpan value) => TimeSpan.FromSeconds(Math.Max(0, Math.Round(value.TotalSeconds)));

    private static string Time(DateTimeOffset at) => Rfc3339.FormatSeconds(at);
}
