using Archiver.Emulators.MongoDb.Durability;
using Archiver.Emulators.MongoDb.Oplog;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// The members' data directories: each running, unlocked member's journal gets every entry as it is applied, a
/// checkpoint is written on fsync, when a member catches up and at a clean stop, and a set starts from the newest folder.
/// With no data directories (the default) none of this runs: <see cref="_durable"/> is the only per-write cost.
/// </summary>
internal sealed partial class ReplicaSetState
{
    private bool _durable;

    /// <summary>
    /// Gives each member its data directory (null: given when it starts, <see cref="AttachFolder"/>). Caller holds
    /// <see cref="Sync"/>, before any member serves.
    /// </summary>
    public void AttachFolders(IReadOnlyList<DataDirectory?> folders)
    {
        for (var i = 0; i < Members.Length; i++)
        {
            Members[i].Folder = folders[i];
        }

        _durable = true;
    }

    /// <summary>Gives a stopped member a data directory in place of the one it had (closed). Caller holds <see cref="Sync"/>.</summary>
    public void AttachFolder(int member, DataDirectory folder)
    {
        Members[member].Folder?.Dispose();
        Members[member].Folder = folder;
        _durable = true;
    }

    /// <summary>Writes a checkpoint in the folder of every member that is serving and not fsync-locked. Caller holds <see cref="Sync"/>.</summary>
    public void CheckpointRunningMembers()
    {
        foreach (var member in Members)
        {
            if (MemberUp[member.Index] && member.FrozenAt is null)
            {
                member.Folder?.WriteCheckpoint(this);
            }
        }
    }

    /// <summary>Closes the members' journals. Caller holds <see cref="Sync"/>.</summary>
    public void CloseFolders()
    {
        foreach (var member in Members)
        {
            member.Folder?.Dispose();
        }
    }

    /// <summary>One entry of a recovered journal joins the oplog as it was logged. Caller holds <see cref="Sync"/>.</summary>
    public void RecoverEntry(BsonDocument entry, byte[] bson)
    {
        var ts = entry["ts"].AsBsonTimestamp;
        var at = new OpTime(ts, entry["t"].ToInt64(), entry["wall"].ToUniversalTime());
        Oplog.Append(new OplogEntry(ts.Value, bson));
        LastApplied = at;
        Term = Math.Max(Term, at.Term);
        Clock.Observe(ts);
        Oplog.Truncate(MajorityCommitted.Ts.Value);
    }

    /// <summary>A recovered change of the oplog's cap. Caller holds <see cref="Sync"/>.</summary>
    public void RecoverOplogSize(long bytes)
    {
        Oplog.MaxBytes = bytes;
        Oplog.Truncate(MajorityCommitted.Ts.Value);
    }

    /// <summary>
    /// Starts from a data directory: the checkpoint's data, oplog, optime and term, then its journal replayed. A set
    /// started from another set's folders (a restore) keeps that data and oplog, and takes its own name and hosts from
    /// its options, as a snapshot restored into a new replica set is reconfigured.
    /// </summary>
    private void Recover(RecoveredImage image)
    {
        var (storage, oplog) = CheckpointFile.Materialize(image.Checkpoint);
        Storage = storage;
        // The cap the oplog was created with stays, as mongod keeps its oplog's size over restarts (--oplogSize only
        // sizes a new oplog); replSetResizeOplog changes it.
        Oplog.MaxBytes = image.Checkpoint.OplogMaxBytes;
        foreach (var entry in oplog)
        {
            Oplog.Append(entry);
        }

        LastApplied = image.Checkpoint.Applied;
        Term = image.Checkpoint.Term;
        Clock.Observe(LastApplied.Ts);
        var applier = new RecoveryApplier(this);
        foreach (var record in image.Journal.Records)
        {
            applier.Apply(image.Journal, record);
        }
    }

    /// <summary>Appends one record to the journal of every member that is serving and not fsync-locked.</summary>
    private void Journal(RecordKind kind, BsonDocument document) => Journal(kind, document.ToBson());

    /// <summary>Appends one record of BSON already encoded to the journal of every member that is serving and not fsync-locked.</summary>
    private void Journal(RecordKind kind, byte[] bson)
    {
        byte[]? frame = null;
        foreach (var member in Members)
        {
            if (member.Folder is { } folder && MemberUp[member.Index] && member.FrozenAt is null)
            {
                frame ??= RecordFile.Frame(kind, bson);
                folder.Append(frame);
            }
        }
    }

    private void JournalUnlogged(string op, string ns, Guid? ui, BsonDocument o, BsonDocument? o2)
    {
        var write = new BsonDocument { { "op", op }, { "ns", ns } };
        if (ui is { } uuid)
        {
            write.Add("ui", new BsonBinaryData(uuid, GuidRepresentation.Standard));
        }

        write.Add("o", o);
        if (o2 is not null)
        {
            write.Add("o2", o2);
        }

        Journal(RecordKind.Unlogged, write);
    }
}
