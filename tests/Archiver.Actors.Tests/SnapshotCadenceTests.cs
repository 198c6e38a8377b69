using Archiver.Actors.Persistence;

namespace Archiver.Actors.Tests;

public sealed class SnapshotCadenceTests
{
    [Fact]
    public void A_snapshot_is_due_every_N_events_since_the_last_even_when_a_batch_jumps_past_a_multiple()
    {
        var cadence = new SnapshotCadence(100);

        Assert.False(cadence.Due(99));
        // A PersistAll of three events ending at 102: no event sat on 100, the snapshot is still due.
        Assert.True(cadence.Due(102));
        Assert.False(cadence.Due(200));
        Assert.True(cadence.Due(202));
    }

    [Fact]
    public void An_entity_whose_sequence_number_sits_on_a_multiple_does_not_save_again()
    {
        var cadence = new SnapshotCadence(100);

        Assert.True(cadence.Due(100));
        Assert.False(cadence.Due(100));
    }

    [Fact]
    public void A_snapshot_offered_at_recovery_counts_as_the_last_one()
    {
        var cadence = new SnapshotCadence(10);
        cadence.Saved(95);

        Assert.False(cadence.Due(104));
        Assert.True(cadence.Due(105));
    }
}
