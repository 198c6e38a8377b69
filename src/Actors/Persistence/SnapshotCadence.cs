namespace Archiver.Actors.Persistence;

/// <summary>
/// The one snapshot policy of every persistent entity: a snapshot once <see cref="Every"/> events have been persisted
/// since the last one (or since the start of the journal). Counted from the last snapshot, not on multiples of the
/// sequence number: a <c>PersistAll</c> can jump past a multiple (no snapshot), and an entity whose sequence number sits
/// on one would save again at every look. A recovery then replays fewer than <see cref="Every"/> events after its
/// snapshot (https://getakka.net/articles/persistence/snapshots.html).
/// </summary>
public sealed class SnapshotCadence
{
    private long _lastSnapshot;

    public SnapshotCadence(int every)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        Every = every;
    }

    public int Every { get; }

    /// <summary>Whether the event just persisted (<paramref name="sequenceNr"/>) calls for a snapshot; if so, it is counted as taken.</summary>
    public bool Due(long sequenceNr)
    {
        if (sequenceNr - _lastSnapshot < Every) return false;
        _lastSnapshot = sequenceNr;
        return true;
    }

    /// <summary>A snapshot at <paramref name="sequenceNr"/> exists (offered at recovery, or saved).</summary>
    public void Saved(long sequenceNr) => _lastSnapshot = Math.Max(_lastSnapshot, sequenceNr);
}
