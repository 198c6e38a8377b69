using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

public sealed class ArchivingHealthTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(500, 7200, null, "True", "Healthy")]
    [InlineData(45_000, 7200, null, "False", "LagTooHigh")]
    [InlineData(500, 600, null, "False", "HeadroomLow")]
    [InlineData(500, 7200, "oplog rolled over: gap from 10:00 to 10:05", "False", "ArchiverProblem")]
    public void The_archiving_condition_turns_false_before_data_is_lost(int lagMs, int headroomSeconds, string? problem, string status, string reason)
    {
        var report = new ArchivingReport("rs0", Now, Now, TimeSpan.FromMilliseconds(lagMs), TimeSpan.FromSeconds(headroomSeconds), problem, Now);
        var condition = ArchivingHealth.Evaluate(report, null, Now);
        Assert.Equal(status, condition.Status.ToString());
        Assert.Equal(reason, condition.Reason);
    }

    [Fact]
    public void Only_standby_sidecars_reporting_means_nothing_is_archived_and_a_refusal_is_named_as_such()
    {
        var standby = new ArchivingReport("rs0", null, null, TimeSpan.Zero, null, null, Now) { Standby = true };
        var refused = new ArchivingReport("rs0", null, null, TimeSpan.Zero, null, "cannot archive: 'db/x' already holds the history of database u1", Now) { Refusal = ArchivingRefusals.ForeignHistory };

        Assert.Equal(("False", "NoPrimary"), (ArchivingHealth.Evaluate(standby, null, Now).Status.ToString(), ArchivingHealth.Evaluate(standby, null, Now).Reason));
        Assert.Equal(("False", "ForeignHistory"), (ArchivingHealth.Evaluate(refused, null, Now).Status.ToString(), ArchivingHealth.Evaluate(refused, null, Now).Reason));
    }

    [Fact]
    public void Thresholds_come_from_the_archivers_walBackup_config()
    {
        var report = new ArchivingReport("rs0", Now, Now, TimeSpan.FromSeconds(10), TimeSpan.FromHours(2), null, Now);
        Assert.Equal("LagTooHigh", ArchivingHealth.Evaluate(report, new WalBackupConfig { LagThreshold = "5s" }, Now).Reason);
        Assert.Equal("HeadroomLow", ArchivingHealth.Evaluate(report, new WalBackupConfig { HeadroomThreshold = "3h" }, Now).Reason);
    }

    [Fact]
    public void A_raised_alarm_clears_only_with_a_margin_so_a_value_at_the_threshold_does_not_flap()
    {
        // Headroom hovering around the 1 h threshold, then recovering: raised once, cleared once.
        var minutes = new[] { 61, 59, 61, 59, 70, 74, 76, 70, 61 };
        var reasons = new List<string>();
        Condition? previous = null;
        foreach (var m in minutes)
        {
            previous = ArchivingHealth.Evaluate(new ArchivingReport("rs0", Now, Now, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(m), null, Now), null, Now, previous);
            reasons.Add(previous.Reason!);
        }

        Assert.Equal(["Healthy", "HeadroomLow", "HeadroomLow", "HeadroomLow", "HeadroomLow", "HeadroomLow", "Healthy", "Healthy", "Healthy"], reasons);
        Assert.Contains("not yet back over 1h15m0s", ArchivingHealth.Evaluate(new ArchivingReport("rs0", Now, Now, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(70), null, Now), null, Now, new Condition { Type = "Archiving", Reason = "HeadroomLow" }).Message);

        // Lag likewise: over 30 s raises, it clears under 24 s.
        previous = null;
        reasons.Clear();
        foreach (var seconds in new[] { 29, 31, 29, 25, 23, 29 })
        {
            previous = ArchivingHealth.Evaluate(new ArchivingReport("rs0", Now, Now, TimeSpan.FromSeconds(seconds), TimeSpan.FromHours(2), null, Now), null, Now, previous);
            reasons.Add(previous.Reason!);
        }

        Assert.Equal(["Healthy", "LagTooHigh", "LagTooHigh", "LagTooHigh", "Healthy", "Healthy"], reasons);
    }

    [Fact]
    public void No_report_is_not_healthy()
    {
        var condition = ArchivingHealth.Evaluate(null, null, Now);
        Assert.Equal(ConditionStatus.False, condition.Status);
        Assert.Equal("NotReporting", condition.Reason);
    }

    [Fact]
    public void A_sharded_clusters_report_is_its_worst_replica_set_and_the_status_lists_each_one()
    {
        var parts = new[]
        {
            new ArchivingReport("configRepl", Now.AddMinutes(-10), Now.AddSeconds(-2), TimeSpan.FromMilliseconds(300), TimeSpan.FromHours(9), null, Now),
            new ArchivingReport("shard0", Now.AddMinutes(-9), Now.AddSeconds(-1), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(4), null, Now),
            new ArchivingReport("shard1", Now.AddMinutes(-11), Now.AddMinutes(-3), TimeSpan.FromMinutes(3), TimeSpan.FromHours(6), "storage unreachable", Now) { ProblemReason = "StorageUnavailable" },
        };

        var combined = ArchivingReport.Combine(parts, Now);
        var status = ArchivingHealth.Observed(new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Archiving }, combined, null, null, null, Now);

        // Archived is what every replica set has: the latest start, the earliest end; lag and headroom are the worst.
        Assert.Equal((Now.AddMinutes(-9), Now.AddMinutes(-3)), (combined.WalStart!.Value, combined.WalEnd!.Value));
        Assert.Equal((TimeSpan.FromMinutes(3), TimeSpan.FromHours(4)), (combined.Lag!.Value, combined.Headroom!.Value));
        Assert.Equal("shard1: storage unreachable", combined.Problem);
        Assert.Equal("StorageUnavailable", combined.ProblemReason);
        Assert.Equal(ConditionStatus.False, status.Conditions!.Single(c => c.Type == DatabaseConditions.ArchivingType).Status);
        Assert.Equal(["configRepl", "shard0", "shard1"], status.Components!.Select(c => c.Component));
        Assert.Equal(("3m0s", "storage unreachable"), (status.Components![2].Lag, status.Components[2].Problem));
        Assert.Null(ArchivingHealth.Observed(status, parts[0], null, null, null, Now).Components);
        // A part that has not reported yet leaves the range unknown rather than claiming the others'.
        Assert.Null(ArchivingReport.Combine([parts[0], new ArchivingReport("shard0", null, null, null, null, null, Now)], Now).WalEnd);
    }

    [Fact]
    public void An_observation_turns_an_archiving_database_Blocked_on_a_refusal_and_back_once_it_writes_keeping_the_other_conditions()
    {
        var configured = DatabaseConditions.Configured(ConditionStatus.True, DatabaseConditions.ConfiguredAtCreationReason, "configured", Now);
        var before = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Archiving, Conditions = [configured] };
        var refused = new ArchivingReport("rs0", null, null, TimeSpan.Zero, null, "cannot archive: a restore into the replica set has not finished", Now) { Refusal = ArchivingRefusals.RestoreUnfinished };
        var writing = new ArchivingReport("rs0", Now, Now, TimeSpan.FromMilliseconds(420), TimeSpan.FromHours(5), null, Now);
        IReadOnlyList<RecoverableWindow> windows = [new RecoverableWindow { Component = "rs0", Start = Now.AddHours(-1), End = Now }];

        var blocked = ArchivingHealth.Observed(before, refused, windows, null, null, Now);
        Assert.Equal(DatabaseArchiverPhase.Blocked, blocked.Phase);
        Assert.Equal([DatabaseConditions.ConfiguredType, DatabaseConditions.ArchivingType], blocked.Conditions!.Select(c => c.Type));

        // The storage index did not answer this time: the windows written last stand.
        var back = ArchivingHealth.Observed(blocked, writing, null, null, Now.AddMinutes(-5), Now);
        Assert.Equal(DatabaseArchiverPhase.Archiving, back.Phase);
        Assert.Equal(windows, back.RecoverableWindows);
        Assert.Equal(("400ms", "5h0m0s"), (back.Lag, back.OplogHeadroom));
        Assert.Equal(Now.AddMinutes(-5), back.LastFullBackup);

        // Not reporting says nothing about the phase: a database that was not archiving stays as it was.
        Assert.Equal(DatabaseArchiverPhase.Restoring, ArchivingHealth.Observed(new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Restoring }, null, null, null, null, Now).Phase);
    }

    [Fact]
    public void An_unreachable_replica_set_leaves_the_lag_unknown_not_zero_and_names_its_cause_in_one_line()
    {
        var before = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Archiving, Lag = "200ms" };
        var down = new ArchivingReport("rs0", Now.AddMinutes(-3), Now.AddMinutes(-3), null, TimeSpan.FromHours(5),
            "cannot reach replica set rs0 at mg-rs.demo.svc:27017: connection refused, since 2030-01-01T00:00:00Z", Now)
        {
            ProblemReason = "SourceUnavailable",
        };

        var observed = ArchivingHealth.Observed(before, down, null, null, null, Now);

        Assert.Null(observed.Lag);
        Assert.Equal(ArchiverStatusText.Unknown, ArchiverStatusText.Lag(observed.Lag, observed.Phase?.ToString()));
        var condition = Assert.Single(observed.Conditions!);
        Assert.Equal((ConditionStatus.False, "SourceUnavailable"), (condition.Status, condition.Reason));
        Assert.Equal(down.Problem, condition.Message);
        // A database not archiving has no lag to be unknown.
        Assert.Null(ArchiverStatusText.Lag(null, nameof(DatabaseArchiverPhase.Restored)));
    }
}
