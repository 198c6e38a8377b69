using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Databases;

/// <summary>
/// Whether a database's history is safe, as a condition a person can alert on: <c>Archiving</c> turns false when
/// the archiver is not reporting, raised a problem, lags more than <c>lagThreshold</c>, or when the oplog headroom
/// left falls under <c>headroomThreshold</c>, before any entry is lost rather than after. A raised alarm clears
/// only with a margin (lag under 80% of its threshold, headroom over 125% of its): a value hovering at the threshold
/// would otherwise flip the condition at every look, and page someone each time.
/// </summary>
public static class ArchivingHealth
{
    public const string ConditionType = DatabaseConditions.ArchivingType;

    public static readonly TimeSpan DefaultLagThreshold = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultHeadroomThreshold = TimeSpan.FromHours(1);

    private const double ClearLagBelow = 0.8;
    private const double ClearHeadroomAbove = 1.25;

    /// <summary>The condition now; <paramref name="previous"/> (the last one evaluated) decides whether a raised alarm has cleared.</summary>
    public static Condition Evaluate(ArchivingReport? report, WalBackupConfig? config, DateTimeOffset now, Condition? previous = null)
    {
        var lagLimit = LagLimit(config);
        var headroomLimit = HeadroomLimit(config);
        var lagAlarm = previous?.Reason == "LagTooHigh" ? lagLimit * ClearLagBelow : lagLimit;
        var headroomAlarm = previous?.Reason == "HeadroomLow" ? headroomLimit * ClearHeadroomAbove : headroomLimit;
        var (ok, reason, message) = report switch
        {
            null => (false, "NotReporting", "no oplog archiver has reported for this database"),
            { Standby: true } => (false, "NoPrimary", "no member of the replica set is the primary: every sidecar is a standby, and nothing is archived until one is elected"),
            { Problem: { } problem } => (false, report.Refusal ?? report.ProblemReason ?? "ArchiverProblem", problem),
            { Lag: { } lag } when lag > lagAlarm => (false, "LagTooHigh", $"archiving is {GoDuration.Format(Rounded(lag))} behind, more than {GoDuration.Format(lagLimit)}"
                + (lag <= lagLimit ? $" a moment ago (clears under {GoDuration.Format(lagAlarm)})" : "")),
            { Headroom: { } headroom } when headroom < headroomAlarm =>
                (false, "HeadroomLow", $"the oldest unarchived entry rolls off the oplog in {GoDuration.Format(Rounded(headroom))}, "
                    + (headroom < headroomLimit ? $"less than {GoDuration.Format(headroomLimit)}" : $"not yet back over {GoDuration.Format(headroomAlarm)}")
                    + ": archive faster or grow the oplog"),
            _ => (true, "Healthy", (report.Lag is { } lag ? $"{GoDuration.Format(Rounded(lag))} behind" : "lag not measured yet")
                + (report.Headroom is { } h ? $", {GoDuration.Format(Rounded(h))} of oplog headroom" : "")),
        };
        return new Condition
        {
            Type = ConditionType,
            Status = ok ? ConditionStatus.True : ConditionStatus.False,
            Reason = reason,
            Message = message,
            LastTransitionTime = now,
        };
    }

    /// <summary>
    /// What an observation makes of a database's <c>status.archiver</c> (the decision of a look, as a pure function):
    /// the <c>Archiving</c> condition (the one written last decides whether a raised alarm has cleared, so it survives the
    /// entity moving to another node, as a copy kept in the actor would not), the windows (null: the storage index did not
    /// answer, the last ones written stand), lag, headroom, last full backup, and the phase: an archiver that refuses to
    /// write archives nothing, so <c>Archiving</c> turns <c>Blocked</c>, and back once it reports without a refusal.
    /// </summary>
    public static DatabaseArchiverStatus Observed(
        DatabaseArchiverStatus before, ArchivingReport? report, IReadOnlyList<RecoverableWindow>? windows, WalBackupConfig? config, DateTimeOffset? lastBackup, DateTimeOffset now,
        IReadOnlyList<ComponentStorage>? storage = null)
    {
        var condition = Evaluate(report, config, now, before.Conditions?.FirstOrDefault(c => c.Type == ConditionType));
        return before with
        {
            Phase = (before.Phase, report?.Refusal) switch
            {
                (DatabaseArchiverPhase.Archiving, not null) => DatabaseArchiverPhase.Blocked,
                (DatabaseArchiverPhase.Blocked, null) when report is not null => DatabaseArchiverPhase.Archiving,
                var (phase, _) => phase,
            },
            RecoverableWindows = windows ?? before.RecoverableWindows,
            // Absent, not 0s, when unknown: no report, or a replica set that cannot be read (the CLI and the status page
            // show it as unknown).
            Lag = report?.Lag is { } lag ? GoDuration.Format(Rounded(lag)) : null,
            OplogHeadroom = report?.Headroom is { } h ? GoDuration.Format(Rounded(h)) : null,
            LastFullBackup = lastBackup ?? before.LastFullBackup,
            // Null (the storage index did not answer): the last figures written stand.
            Storage = storage ?? before.Storage,
            // A sharded cluster's streams, each on its own: which replica set lags is what an alarm on the whole asks next.
            Components = report?.Parts is { } parts ? [.. parts.Select(p => new ComponentArchiving
            {
                Component = p.Component,
                ArchivedUntil = p.WalEnd,
                Lag = p.Lag is { } partLag ? GoDuration.Format(Rounded(partLag)) : null,
                OplogHeadroom = p.Headroom is { } partHeadroom ? GoDuration.Format(Rounded(partHeadroom)) : null,
                Problem = p.Problem,
            })] : report is null ? before.Components : null,
            Conditions = DatabaseConditions.With(before.Conditions, condition),
        };
    }

    /// <summary>The database's own timeline's objects and bytes, per component (a restored database's parent history is another's cost).</summary>
    public static IReadOnlyList<ComponentStorage>? Storage(RecoverableWindowsReply? reply) =>
        reply?.Usage is null ? null : [.. reply.Usage
            .Where(u => reply.OwnTimeline is null || u.Timeline == reply.OwnTimeline)
            .Select(u => new ComponentStorage { Component = u.Component, OplogObjects = u.OplogObjects, OplogBytes = u.OplogBytes, BackupObjects = u.BackupObjects, BackupBytes = u.BackupBytes })];

    public static IReadOnlyList<RecoverableWindow> Windows(RecoverableWindowsReply? reply, string component) =>
        reply?.Windows.Select(w => new RecoverableWindow { Component = component, Start = w.From, End = w.To }).ToList() ?? [];

    /// <summary>The lag over which the condition turns false: the archiver's <c>lagThreshold</c>, or the default.</summary>
    public static TimeSpan LagLimit(WalBackupConfig? config) => Threshold(config?.LagThreshold, DefaultLagThreshold);

    /// <summary>The headroom under which the condition turns false: the archiver's <c>headroomThreshold</c>, or the default.</summary>
    public static TimeSpan HeadroomLimit(WalBackupConfig? config) => Threshold(config?.HeadroomThreshold, DefaultHeadroomThreshold);

    private static TimeSpan Threshold(string? text, TimeSpan fallback) =>
        text is not null && GoDuration.TryParse(text, out var value, out _) ? value : fallback;

    /// <summary>
    /// Tenths of a second under a minute (a sub-second recovery point is the point), whole seconds above: a status that
    /// changed with every millisecond would be rewritten at every look, and read badly (<c>7305h29m7.3213935s</c>).
    /// </summary>
    public static TimeSpan Rounded(TimeSpan value) => value < TimeSpan.FromMinutes(1)
        ? TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds / 100) * 100)
        : TimeSpan.FromSeconds(Math.Round(value.TotalSeconds));
}
