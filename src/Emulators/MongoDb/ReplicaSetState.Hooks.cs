using Archiver.Emulators.MongoDb.Durability;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>The fault-injection side of the shared state, behind <see cref="MongoEmulator"/>'s hooks.</summary>
internal sealed partial class ReplicaSetState
{
    public bool MajorityHeld
    {
        get
        {
            lock (Sync)
            {
                return _heldMajority is not null;
            }
        }
    }

    public void HoldMajority()
    {
        lock (Sync)
        {
            if (_heldMajority is null)
            {
                _heldMajority = LastApplied;
                _majoritySnapshot = Storage.Clone();
            }
        }
    }

    public void ReleaseMajority()
    {
        lock (Sync)
        {
            _heldMajority = null;
            _majoritySnapshot = null;
            Oplog.Truncate(MajorityCommitted.Ts.Value);
        }
    }

    /// <summary>
    /// Undoes everything after the held majority point: data returns to its state then, the later entries leave
    /// the oplog, the term moves on (a new primary was elected) and cursors die, as on a real rollback.
    /// </summary>
    public int RollBack()
    {
        lock (Sync)
        {
            if (_heldMajority is not { } majority || _majoritySnapshot is null)
            {
                return 0;
            }

            if (AnyFrozen)
            {
                // Rollback takes the global exclusive lock, which an fsync lock holds off until it is released.
                throw new InvalidOperationException("a member is fsync-locked: a rollback waits for fsyncUnlock (unlock it first)");
            }

            var removed = Oplog.RemoveAfter(majority.Ts.Value);
            Storage = _majoritySnapshot;
            LastApplied = majority;
            _lastNoopTick = default;
            _heldMajority = null;
            _majoritySnapshot = null;
            Term++;
            Cursors.KillAll();
            Sessions.AbortAll();
            // The data went back: every running member's data directory starts again from a checkpoint of it.
            CheckpointRunningMembers();
            Appended.Fire();
            return removed;
        }
    }

    public void StepDown()
    {
        lock (Sync)
        {
            PrimaryIndex = -1;
            Sessions.AbortAll();
        }
    }

    public void StepUp(int member)
    {
        lock (Sync)
        {
            PrimaryIndex = member;
            Term++;
            Append("n", string.Empty, null, new BsonDocument("msg", "new primary"), null);
        }
    }

    public void ResizeOplog(long bytes)
    {
        lock (Sync)
        {
            Oplog.MaxBytes = bytes;
            if (_durable)
            {
                Journal(RecordKind.OplogSize, new BsonDocument("maxBytes", bytes));
            }

            Oplog.Truncate(MajorityCommitted.Ts.Value);
        }
    }

    public MongoDataSnapshot Capture()
    {
        lock (Sync)
        {
            return new MongoDataSnapshot(LastApplied.Ts, LastApplied.Wall, Storage.Export());
        }
    }

    public IReadOnlyList<BsonDocument> OplogCopy()
    {
        lock (Sync)
        {
            // Each decoded afresh: the copies are the caller's.
            return Oplog.All.Select(e => e.Decode()).ToList();
        }
    }
}
