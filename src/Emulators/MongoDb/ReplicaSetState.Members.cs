using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Storage;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// Each member's own view of the shared data. The members share one data set and one oplog, so a member is behind
/// only while it is fsync-locked: it then keeps the optime and the data it had at the lock (a locked mongod applies no
/// more oplog entries) while the others go on, and catches up when it is unlocked.
/// </summary>
internal sealed partial class ReplicaSetState
{
    private int _frozenMembers;

    /// <summary>The optime <paramref name="member"/> has applied (hello's <c>lastWrite.opTime</c> on it). Caller holds <see cref="Sync"/>.</summary>
    public OpTime Applied(int member) => Members[member].FrozenAt ?? LastApplied;

    /// <summary>The data reads on <paramref name="member"/> see: the shared data, or the data it had when it was locked.</summary>
    public StorageEngine StorageSeenBy(int member) => Members[member].FrozenStorage ?? Storage;

    /// <summary>The newest oplog position <paramref name="member"/> holds; later entries are not in its oplog yet.</summary>
    public long NewestPositionOn(int member) => Members[member].FrozenAt?.Ts.Value ?? long.MaxValue;

    /// <summary>
    /// The newest optime a majority of the members have applied (topology_coordinator.cpp's commit point: the
    /// majority-th highest applied optime among the voting members), never past a held point. Only a locked member lags,
    /// so with none locked it is the newest entry, computed without allocating.
    /// </summary>
    public OpTime MajorityCommitted
    {
        get
        {
            if (_frozenMembers == 0)
            {
                return _heldMajority ?? LastApplied;
            }

            var applied = new OpTime[Members.Length];
            for (var i = 0; i < applied.Length; i++)
            {
                applied[i] = Applied(i);
            }

            Array.Sort(applied, (a, b) => b.Ts.CompareTo(a.Ts));
            var majority = applied[Members.Length / 2];
            return _heldMajority is { } held && held.Ts.CompareTo(majority.Ts) < 0 ? held : majority;
        }
    }

    /// <summary>
    /// The commit point as <paramref name="member"/> reports it: never past what it has applied itself (a locked member's
    /// majority-committed reads are served from its own data). Caller holds <see cref="Sync"/>.
    /// </summary>
    public OpTime MajoritySeenBy(int member)
    {
        var majority = MajorityCommitted;
        return Members[member].FrozenAt is { } frozen && frozen.Ts.CompareTo(majority.Ts) < 0 ? frozen : majority;
    }

    /// <summary>
    /// The member stops applying at the optime it has: reads on it see the data as it is now, its oplog ends here, and its
    /// data directory (if any) gets a checkpoint of exactly this and nothing more until <see cref="Thaw"/>.
    /// Caller holds <see cref="Sync"/>.
    /// </summary>
    public void Freeze(int member)
    {
        var state = Members[member];
        state.FrozenAt = Applied(member);
        state.FrozenStorage = Storage.Clone();
        _frozenMembers++;
        state.Folder?.WriteCheckpoint(this);
    }

    /// <summary>The member applies again, catching up with everything written while it was locked. Caller holds <see cref="Sync"/>.</summary>
    public void Thaw(int member, bool running)
    {
        var state = Members[member];
        if (state.FrozenAt is null)
        {
            return;
        }

        state.FrozenAt = null;
        state.FrozenStorage = null;
        state.LockCount = 0;
        _frozenMembers--;
        if (running)
        {
            // Catching up writes the member's data directory afresh: one checkpoint instead of the entries it missed.
            state.Folder?.WriteCheckpoint(this);
        }

        Oplog.Truncate(MajorityCommitted.Ts.Value);
        Appended.Fire();
    }

    /// <summary>Whether a member is fsync-locked. Caller holds <see cref="Sync"/>.</summary>
    public bool AnyFrozen => _frozenMembers > 0;
}
