using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Actors.Reporting;
using Archiver.Messages.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Archiver.Actors.Tests;

public sealed class EventCorrelatorTests
{
    private static readonly EventSubject Database = EventSubject.Database(new ResourceId("demo", "mg-rs"), "u1");

    [Fact]
    public void A_repeat_counts_up_on_the_event_written_and_a_different_message_is_another_event()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var correlator = new EventCorrelator(clock);
        var failed = EventDraft.Warn(Database, "BackupFailed", "full backup r1, attempt 1, failed: storage down");

        var first = correlator.Observe(failed)!;
        clock.Advance(TimeSpan.FromMinutes(1));
        var again = correlator.Observe(failed)!;
        var other = correlator.Observe(failed with { Message = "full backup r1, attempt 2, failed: storage down" })!;

        Assert.True(first.IsNew);
        Assert.Equal((first.Name, 2, first.First, clock.GetUtcNow()), (again.Name, again.Count, again.First, again.Last));
        Assert.True(other.IsNew);
        Assert.NotEqual(first.Name, other.Name);
        Assert.StartsWith("mg-rs.", first.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void An_object_that_keeps_failing_is_held_to_a_burst_then_one_new_event_per_refill_while_repeats_still_count()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var correlator = new EventCorrelator(clock);
        var written = Enumerable.Range(0, EventCorrelator.Burst + 10)
            .Select(i => correlator.Observe(EventDraft.Warn(Database, "BackupFailed", $"attempt {i} failed")))
            .Count(c => c is not null);
        Assert.Equal(EventCorrelator.Burst, written);

        // A repeat writes nothing new: it counts up whatever the bucket says.
        Assert.Equal(2, correlator.Observe(EventDraft.Warn(Database, "BackupFailed", "attempt 0 failed"))!.Count);
        // Another object has its own bucket.
        Assert.NotNull(correlator.Observe(EventDraft.Warn(EventSubject.Database(new ResourceId("demo", "other"), "u2"), "BackupFailed", "attempt 0 failed")));

        clock.Advance(EventCorrelator.Refill);
        Assert.NotNull(correlator.Observe(EventDraft.Warn(Database, "BackupFailed", "after a refill")));
        Assert.Null(correlator.Observe(EventDraft.Warn(Database, "BackupFailed", "and no more")));
    }

    [Fact]
    public async Task The_embedded_recorder_lists_an_objects_events_of_this_incarnation_aggregated_and_drops_them_after_an_hour()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var recorder = new InMemoryEventRecorder(clock);
        recorder.Record(EventDraft.Normal(Database, "BackupStarted", "full backup r1 started, on demand"));
        clock.Advance(TimeSpan.FromSeconds(5));
        recorder.Record(EventDraft.Warn(Database, "LagTooHigh", "archiving is 45s behind, more than 30s"));
        recorder.Record(EventDraft.Warn(Database, "LagTooHigh", "archiving is 45s behind, more than 30s"));
        // The same name, another incarnation: not this one's.
        recorder.Record(EventDraft.Normal(Database with { Uid = "u0" }, "BackupStarted", "an older database's backup"));

        var events = await recorder.ListAsync(Database);
        Assert.Equal([("BackupStarted", 1), ("LagTooHigh", 2)], events.Select(e => (e.Reason, e.Count)));
        Assert.Equal("Warning", events[1].Type);

        clock.Advance(InMemoryEventRecorder.TimeToLive + TimeSpan.FromMinutes(1));
        recorder.Record(EventDraft.Normal(Database, "Restored", "restored"));
        Assert.Equal(["Restored"], (await recorder.ListAsync(Database)).Select(e => e.Reason));
    }
}
