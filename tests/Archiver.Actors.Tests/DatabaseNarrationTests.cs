using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

public sealed class DatabaseNarrationTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ResourceId Id = new("demo", "mg-rs");
    private static readonly EventSubject Subject = EventSubject.Database(Id, "u1");

    [Fact]
    public void A_restores_progress_is_told_at_each_quarter_once_however_often_it_is_reported()
    {
        RestoreProgressReport? last = null;
        var told = new List<string>();
        foreach (var done in new long[] { 10, 240, 250, 260, 499, 500, 760, 990, 1000 })
        {
            var report = new RestoreProgressReport(done, 1000, done * 10, 10_000);
            if (DatabaseNarration.Progress(last, report, Subject) is { } draft) told.Add(draft.Message);
            last = report;
        }

        Assert.Equal(
            ["25% of the oplog replayed: 250 of 1,000 entries", "50% of the oplog replayed: 500 of 1,000 entries", "75% of the oplog replayed: 760 of 1,000 entries"],
            told);
    }

    [Fact]
    public void The_archiving_alarm_is_told_when_raised_when_its_cause_changes_and_when_cleared_not_while_its_figure_moves()
    {
        Condition Of(bool ok, string reason, string message) => new() { Type = "Archiving", Status = ok ? ConditionStatus.True : ConditionStatus.False, Reason = reason, Message = message };
        var healthy = Of(true, "Healthy", "0s behind");
        var lag45 = Of(false, "LagTooHigh", "archiving is 45s behind, more than 30s");
        var lag50 = Of(false, "LagTooHigh", "archiving is 50s behind, more than 30s");
        var down = Of(false, "SourceUnavailable", "cannot reach replica set rs0 at a:27017: connection refused, since 2030-01-01T12:00:00Z");

        Assert.Equal(("LagTooHigh", true), Told(DatabaseNarration.Archiving(healthy, lag45, Subject)));
        Assert.Null(DatabaseNarration.Archiving(lag45, lag50, Subject));
        Assert.Equal(("SourceUnavailable", true), Told(DatabaseNarration.Archiving(lag50, down, Subject)));
        Assert.Equal(("ArchivingHealthy", false), Told(DatabaseNarration.Archiving(down, healthy, Subject)));
        Assert.Null(DatabaseNarration.Archiving(healthy, healthy with { Message = "0.1s behind" }, Subject));
        // First seen raised (a database never healthy): told.
        Assert.Equal(("SourceUnavailable", true), Told(DatabaseNarration.Archiving(null, down, Subject)));
    }

    [Fact]
    public void A_backup_that_succeeded_is_told_with_its_duration_and_size_and_a_failure_with_what_comes_next()
    {
        var started = new BackupStarted(Id, "r1", null, 1, Now);
        var running = DatabaseState.Empty(Id).Apply(started);

        var succeeded = DatabaseNarration.Of(new BackupSucceeded(Id, "r1", "b1", Now.AddSeconds(95)), running, Subject, storedBytes: 3 * 1024 * 1024 + 512 * 1024);
        var failed = DatabaseNarration.Of(new BackupFailed(Id, "r1", 2, "storage down", Now.AddMinutes(1), Now), running, Subject);
        var final = DatabaseNarration.Of(new BackupFailed(Id, "r1", 3, "storage down", null, Now), running, Subject);

        Assert.Equal("full backup b1 succeeded in 1m35s, 3.5 MiB stored", succeeded!.Message);
        Assert.False(succeeded.Warning);
        Assert.Equal("full backup r1, attempt 2, failed: storage down; retrying at 2030-01-01T12:01:00Z", failed!.Message);
        Assert.EndsWith("; no retry left", final!.Message, StringComparison.Ordinal);
        Assert.True(final.Warning);
        Assert.Null(DatabaseNarration.Of(new BackupScheduleCleared(Id, "the database is not archived", Now), running, Subject));
    }

    private static (string Reason, bool Warning) Told(EventDraft? draft) => (draft!.Reason, draft.Warning);
}
