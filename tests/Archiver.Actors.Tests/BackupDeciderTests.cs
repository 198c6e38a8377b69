using Archiver.Actors.Databases;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>The full-backup rules as pure decisions: no actor, no clock, no store.</summary>
public sealed class BackupDeciderTests
{
    private static readonly ResourceId Db = new("demo", "mg-rs");
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_tick_starts_a_run_and_the_same_tick_again_does_nothing()
    {
        var state = Scheduled(ConcurrencyPolicy.Forbid);

        var decision = BackupDecider.Tick(state, Now, Now);
        var started = Assert.IsType<BackupStarted>(Assert.Single(decision.Events));
        Assert.Equal([new StartRun(started.RunId, 1)], decision.Effects);
        Assert.Equal("20300101010000-1", started.RunId);

        Assert.Same(Decision.None, BackupDecider.Tick(Applied(state, decision), Now, Now));
    }

    [Theory]
    [InlineData(ConcurrencyPolicy.Forbid, "skip")]
    [InlineData(ConcurrencyPolicy.Allow, "start")]
    [InlineData(ConcurrencyPolicy.Replace, "cancel and start")]
    public void A_tick_while_a_run_is_active_follows_the_concurrency_policy(ConcurrencyPolicy policy, string expected)
    {
        var state = Applied(Scheduled(policy), BackupDecider.Tick(Scheduled(policy), Now, Now));

        var next = BackupDecider.Tick(state, Now.AddHours(1), Now.AddHours(1));

        var actual = next.Events switch
        {
            [BackupSkipped skipped] when skipped.Reason.Contains("20300101010000-1", StringComparison.Ordinal) => "skip",
            [BackupStarted] when next.Effects is [CancelRun { RunId: "20300101010000-1" }, StartRun] => "cancel and start",
            [BackupStarted] when next.Effects is [StartRun] => "start",
            _ => "other",
        };
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_paused_schedule_skips_with_the_reason()
    {
        var state = Scheduled(ConcurrencyPolicy.Allow) with { Schedule = Scheduled(ConcurrencyPolicy.Allow).Schedule! with { Paused = true } };

        var skipped = Assert.IsType<BackupSkipped>(Assert.Single(BackupDecider.Tick(state, Now, Now).Events));

        Assert.Equal("the archiver is paused", skipped.Reason);
    }

    [Fact]
    public void A_failed_attempt_is_retried_after_the_delay_until_maxRetry_is_spent()
    {
        var state = Scheduled(ConcurrencyPolicy.Forbid, FailurePolicy.Retry, maxRetry: 1);
        state = Applied(state, BackupDecider.Tick(state, Now, Now));
        var runId = state.Active.Keys.Single();

        var failed = BackupDecider.Outcome(state, runId, 1, null, "disk full", Now);
        Assert.Equal([new ArmRetry(runId, Now + TimeSpan.FromMinutes(1))], failed.Effects);
        state = Applied(state, failed);

        var retried = BackupDecider.Retry(state, runId, Now.AddMinutes(1));
        Assert.Equal([new StartRun(runId, 2)], retried.Effects);
        state = Applied(state, retried);

        var final = BackupDecider.Outcome(state, runId, 2, null, "disk full", Now.AddMinutes(2));
        Assert.Null(Assert.IsType<BackupFailed>(Assert.Single(final.Events)).RetryAt);
        Assert.Empty(final.Effects);
    }

    [Fact]
    public void An_outcome_of_an_attempt_no_longer_waited_for_is_ignored()
    {
        var state = Scheduled(ConcurrencyPolicy.Forbid);
        state = Applied(state, BackupDecider.Tick(state, Now, Now));

        Assert.Same(Decision.None, BackupDecider.Outcome(state, state.Active.Keys.Single(), 2, "b", null, Now));
        Assert.Same(Decision.None, BackupDecider.Outcome(state, "another-run", 1, "b", null, Now));
    }

    [Fact]
    public void A_success_leaves_its_Snapshot_and_retention_pending_until_their_events_say_they_are_done()
    {
        var state = Scheduled(ConcurrencyPolicy.Forbid);
        state = Applied(state, BackupDecider.Tick(state, Now, Now));
        var runId = state.Active.Keys.Single();

        var succeeded = BackupDecider.Outcome(state, runId, 1, "backup-1", null, Now);
        Assert.Equal([new RecordBackupSnapshot(runId), ApplyRetentionPolicy.Instance], succeeded.Effects);
        state = Applied(state, succeeded);

        // Recovered at this point (the node died before either was done): both are driven again.
        var (interrupted, recovered) = BackupDecider.Recovered(state, Now);
        Assert.Empty(interrupted);
        Assert.Equal([new RecordBackupSnapshot(runId), ApplyRetentionPolicy.Instance], recovered.Effects);

        state = state.Apply(new BackupSnapshotRecorded(Db, runId, Now)).Apply(new RetentionApplied(Db, 0, Now));
        Assert.Empty(BackupDecider.Pending(state));
    }

    [Fact]
    public void Recovered_runs_are_interrupted_attempts_and_waiting_retries_are_armed_again()
    {
        var state = Scheduled(ConcurrencyPolicy.Allow, FailurePolicy.Retry, maxRetry: 3);
        state = Applied(state, BackupDecider.Tick(state, Now, Now));
        var failing = state.Active.Keys.Single();
        state = Applied(state, BackupDecider.Outcome(state, failing, 1, null, "boom", Now));
        state = Applied(state, BackupDecider.Tick(state, Now.AddHours(1), Now.AddHours(1)));
        var running = state.Active.Keys.Single();

        var (interrupted, recovered) = BackupDecider.Recovered(state, Now.AddHours(2));

        Assert.Equal([(running, 1)], interrupted);
        Assert.Equal([new ArmRetry(failing, Now + TimeSpan.FromMinutes(1))], recovered.Effects);
    }

    [Fact]
    public void A_backup_asked_for_is_refused_while_one_runs()
    {
        var state = Scheduled(ConcurrencyPolicy.Allow);
        var first = BackupDecider.Trigger(state, Now);
        Assert.Null(Assert.IsType<BackupStarted>(Assert.Single(first.Events)).ScheduledFor);

        Assert.Same(Decision.None, BackupDecider.Trigger(Applied(state, first), Now));
    }

    private static DatabaseState Scheduled(ConcurrencyPolicy policy, FailurePolicy failure = FailurePolicy.Fail, int maxRetry = 0) =>
        DatabaseState.Empty(Db).Apply(new BackupScheduleSet(Db, new ResourceId("kubedb", "archiver-demo"), "0 * * * *", policy, failure, maxRetry, TimeSpan.FromMinutes(1), false, Now));

    private static DatabaseState Applied(DatabaseState state, Decision decision) => decision.Events.Aggregate(state, (s, e) => s.Apply(e));
}
