using Archiver.Storage;

namespace Archiver.Mongo.Restore;

/// <summary>How a restore runs.</summary>
public sealed record RestoreOptions
{
    /// <summary>Restore from this timeline only (default: the newest timeline that reaches the target).</summary>
    public uint? Timeline { get; init; }

    /// <summary>Collections loaded at once.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>
    /// Documents per insert batch, CRUD operations per applyOps command during the replay, and how many replayed
    /// entries may go by before a checkpoint (one is written at the end of the chunk where they do, and with every batch).
    /// </summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>
    /// applyOps commands the replay sends at once, over as many connections: each batch's ops are split by namespace
    /// and document <c>_id</c>, so every op on one document goes in one of them, in order, and all are applied before
    /// the next batch, as MongoDB's secondaries apply the oplog (<see cref="ApplyOpsRound"/>). 1 sends each batch alone,
    /// with its checkpoint inside it. 1 by default: against the emulator, which applies every applyOps under one lock,
    /// on a shared 2-core machine, 4 was not measurably faster (docs/performance.md); a real mongod applies concurrent
    /// applyOps on different documents at once.
    /// </summary>
    public int ReplayWriters { get; init; } = 1;

    /// <summary>Chunks fetched, verified and decompressed ahead of the apply.</summary>
    public int ReadAhead { get; init; } = 4;

    /// <summary>
    /// Bytes of chunks kept on local disk between the check before the replay and the replay itself, so a chunk is
    /// downloaded once (<see cref="Archiver.Storage.Backends.ObjectSpool"/>); chunks past this are downloaded again by
    /// the replay. 0 keeps none. A restore Job's pod wants this much room in its temporary folder.
    /// </summary>
    public long SpoolBytes { get; init; } = 1L << 30;

    /// <summary>Where the spool's folder is made (default: the system's temporary folder).</summary>
    public string? SpoolFolder { get; init; }

    /// <summary>Source databases to restore (default all); the others are skipped and counted in the report.</summary>
    public Func<string, bool> IncludeDatabase { get; init; } = _ => true;

    /// <summary>The target name of each source database (default: the same name), like mongorestore's nsFrom/nsTo.</summary>
    /// <summary>Collections of the included databases to restore (database, collection as in the source); default: all.</summary>
    public Func<string, string, bool> IncludeCollection { get; init; } = (_, _) => true;

    public Func<string, string> MapDatabase { get; init; } = name => name;

    /// <summary>
    /// The target databases this restore owns; each must not exist yet. The default owns every database but
    /// <c>admin</c>, <c>config</c> and <c>local</c>: the target must be empty.
    /// </summary>
    public Func<string, bool> OwnsTargetDatabase { get; init; } = name => name is not ("admin" or "config" or "local");

    /// <summary>
    /// The restore owns the whole target replica set: its lineage is recorded in it (<see cref="LineageRecord"/>), so
    /// the database's own archive later continues the history it was restored from. Off for a restore of some
    /// databases next to live data, whose replica set keeps a history of its own. The lineage is also how a run of
    /// the same restore finds it finished: without it, a run stopped after the restore's last step (its marker deleted)
    /// and run again finds a target that is not empty, and is refused.
    /// </summary>
    public bool RecordLineage { get; init; } = true;

    /// <summary>
    /// Restore the users and roles defined on the restored databases (from the backup, then their changes in the oplog),
    /// with the database mapping applied; off: none is written, and the report counts them as skipped.
    /// </summary>
    public bool RestoreUsersAndRoles { get; init; } = true;

    /// <summary>
    /// The target's members were started from the base backup's VolumeSnapshot (their claims made from it, as KubeDB's
    /// StatefulSet claims them), so the base is in place: nothing is loaded, the target is checked to hold the
    /// snapshot's data (its oplog has the entry at the recorded ts) before the first write, and the oplog is replayed
    /// from that ts (exclusive) to the target, exactly as after a logical base. Only a volume-snapshot base may be
    /// restored so, and it may only be restored so.
    /// </summary>
    public bool BaseInVolumes { get; init; }

    /// <summary>Identifies this restore's marker document in <c>archiver_restore.incomplete</c>.</summary>
    /// <summary>
    /// End the prepared transactions open at the target (a sharded cluster's two-phase commits) by their
    /// <c>commitTimestamp</c>, reading past the target for their commit or abort (set by <see cref="ShardedRestore"/> for
    /// each replica set, with a ts target); a plan whose chunks end before their end is refused.
    /// </summary>
    public bool ResolvePreparedTransactions { get; init; }

    /// <summary>
    /// Create each collection with the UUID it had in the source (from its backup header): a sharded cluster's shards
    /// must hold a sharded collection under the UUID the restored catalog (<c>config.collections</c>) names. Off for a
    /// replica set, whose collections are made anew as mongorestore makes them.
    /// </summary>
    public bool PreserveCollectionUuids { get; init; }

    /// <summary>
    /// For a sharded cluster's config server: the source's shard names → the target's, renamed in the restored catalog
    /// (<see cref="ShardedRestore"/> sets it when the target's shards are named otherwise, as KubeDB names them after
    /// the database). Null: names kept.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ShardNames { get; init; }

    /// <summary>
    /// For one replica set of a sharded cluster: the cluster's restore point, recorded as this replica set's branch
    /// (<see cref="LineageRecord"/>) instead of the last entry it applied. Every replica set then names the same branch
    /// (whichever opens the restored cluster's timeline first, the node or a shard's sidecar, makes the one the others
    /// find), and none of them has an entry between its own last one and this point. Null: the last entry applied.
    /// </summary>
    public OplogTimestamp? BranchedAfter { get; init; }

    /// <summary>With <see cref="BranchedAfter"/>: the branch's time, the same for every replica set (the time asked for, or the wall of the cluster's entry at the ts asked for).</summary>
    public long? BranchedAtWallUnixMs { get; init; }

    public string RestoreId { get; init; } = Guid.NewGuid().ToString("N");

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
