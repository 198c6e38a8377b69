using System.Globalization;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// What a database's full backups do next, as pure functions: <c>decide(state, command, now) → events + effects</c>.
/// The entity persists the events, applies them (<see cref="DatabaseState.Apply"/>), then carries the effects out;
/// nothing here touches an actor, a clock or the outside, so every rule is tested without one
/// (tests/Archiver.Actors.Tests/BackupDeciderTests.cs). The rules: on its archiver's cron, with
/// <c>concurrencyPolicy</c> (Forbid skips and records, Allow overlaps, Replace cancels the active run) and
/// <c>failurePolicy: Retry</c> (<c>maxRetry</c> retries, <c>delay</c> apart); a run its node died in is a failed
/// attempt, retried by the same policy; missed cron times are not caught up (as a CronJob without a starting
/// deadline). What follows a successful run (its Snapshot, retention) is pending in the state until done.
/// </summary>
public static class BackupDecider
{
    /// <summary>A cron time came.</summary>
    public static Decision Tick(DatabaseState state, DateTimeOffset scheduledFor, DateTimeOffset now)
    {
        if (state.Schedule is not { } schedule || scheduledFor <= state.LastScheduledFor) return Decision.None;
        if (schedule.Paused) return Decision.Of(new BackupSkipped(state.Id, scheduledFor, "the archiver is paused", now));
        List<BackupEffect> effects = [];
        if (!state.Active.IsEmpty)
        {
            switch (schedule.ConcurrencyPolicy)
            {
                case ConcurrencyPolicy.Forbid:
                    return Decision.Of(new BackupSkipped(state.Id, scheduledFor, $"concurrencyPolicy Forbid: run {string.Join(", ", state.Active.Keys)} is still active", now));
                case ConcurrencyPolicy.Replace:
                    effects.AddRange(state.Active.Keys.Select(run => new CancelRun(run)));
                    break;
            }
        }

        var runId = NewRunId(state, now);
        return new Decision([new BackupStarted(state.Id, runId, scheduledFor, 1, now)], [.. effects, new StartRun(runId, 1)]);
    }

    /// <summary>A backup asked for now (<c>archiver backup</c>): refused while one runs.</summary>
    public static Decision Trigger(DatabaseState state, DateTimeOffset now)
    {
        if (!state.Active.IsEmpty) return Decision.None;
        var runId = NewRunId(state, now);
        return new Decision([new BackupStarted(state.Id, runId, null, 1, now)], [new StartRun(runId, 1)]);
    }

    /// <summary>
    /// A run's attempt ended: with a backup, or with <paramref name="error"/>. The volume snapshots are copied into a
    /// plain array: the event is persisted, and a list the compiler made for a collection expression has no
    /// constructor a serializer can call.
    /// </summary>
    public static Decision Outcome(DatabaseState state, string runId, int attempt, string? backupId, string? error, DateTimeOffset now, IReadOnlyList<BackupVolumeSnapshot>? volumeSnapshots = null)
    {
        // An attempt the entity no longer waits for (cancelled, replaced, or of an incarnation since forgotten).
        if (!state.Active.TryGetValue(runId, out var run) || run.Attempt != attempt) return Decision.None;
        if (error is null)
        {
            return new Decision(
                [new BackupSucceeded(state.Id, runId, backupId ?? throw new ArgumentNullException(nameof(backupId)), now, volumeSnapshots is { Count: > 0 } ? volumeSnapshots.ToArray() : null)],
                [new RecordBackupSnapshot(runId), ApplyRetentionPolicy.Instance]);
        }

        var retryAt = BackupScheduling.Retries(state.Schedule, attempt) ? now + state.Schedule!.RetryDelay : (DateTimeOffset?)null;
        return new Decision(
            [new BackupFailed(state.Id, runId, attempt, error, retryAt, now)],
            retryAt is { } at ? [new ArmRetry(runId, at)] : []);
    }

    /// <summary>A failed run's retry time came.</summary>
    public static Decision Retry(DatabaseState state, string runId, DateTimeOffset now)
    {
        if (!state.Retrying.TryGetValue(runId, out var run) || state.Schedule is null) return Decision.None;
        return new Decision([new BackupStarted(state.Id, runId, run.ScheduledFor, run.Attempt + 1, now)], [new StartRun(runId, run.Attempt + 1)]);
    }

    /// <summary>
    /// The entity recovered its state (after a crash, a move): runs it was in are failed attempts (their outcome is
    /// unknown), retries are armed again, and whatever successful runs left pending is driven again.
    /// </summary>
    public static (IReadOnlyList<(string RunId, int Attempt)> Interrupted, Decision Decision) Recovered(DatabaseState state, DateTimeOffset now)
    {
        var interrupted = state.Active.Values.Select(r => (r.RunId, r.Attempt)).ToList();
        List<BackupEffect> effects = [.. state.Retrying.Values.Select(r => new ArmRetry(r.RunId, r.RetryAt ?? now))];
        effects.AddRange(Pending(state));
        return (interrupted, new Decision([], effects));
    }

    /// <summary>What successful runs left to do: each one's Snapshot, and a retention run.</summary>
    public static IEnumerable<BackupEffect> Pending(DatabaseState state)
    {
        foreach (var runId in state.SnapshotsPending.Keys) yield return new RecordBackupSnapshot(runId);
        if (state.RetentionPending) yield return ApplyRetentionPolicy.Instance;
    }

    /// <summary>Unique across incarnations (the count survives a database's deletion) and sortable by time.</summary>
    public static string NewRunId(DatabaseState state, DateTimeOffset now) =>
        now.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + (state.Runs + 1).ToString(CultureInfo.InvariantCulture);
}

/// <summary>The events to persist, then the effects to carry out once they are.</summary>
public sealed record Decision(IReadOnlyList<IDatabaseEvent> Events, IReadOnlyList<BackupEffect> Effects)
{
    public static Decision None { get; } = new([], []);

    public static Decision Of(IDatabaseEvent e) => new([e], []);
}

/// <summary>Something the entity does outside its state once a decision's events are persisted.</summary>
public abstract record BackupEffect;

/// <summary>Run attempt <paramref name="Attempt"/> of <paramref name="RunId"/> (its BackupStarted is persisted).</summary>
public sealed record StartRun(string RunId, int Attempt) : BackupEffect;

public sealed record CancelRun(string RunId) : BackupEffect;

public sealed record ArmRetry(string RunId, DateTimeOffset At) : BackupEffect;

/// <summary>Make the FullBackup Snapshot of a successful run (it stays pending until made).</summary>
public sealed record RecordBackupSnapshot(string RunId) : BackupEffect;

/// <summary>Apply the archiver's retention policy (pending until applied).</summary>
public sealed record ApplyRetentionPolicy : BackupEffect
{
    public static ApplyRetentionPolicy Instance { get; } = new();
}
