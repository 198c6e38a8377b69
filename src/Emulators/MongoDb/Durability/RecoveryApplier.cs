using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// Replays a journal onto its checkpoint at start, as mongod's startup recovery replays the oplog entries after the
/// stable checkpoint (mongodb/mongo <c>src/mongo/db/repl/replication_recovery.cpp</c>, <c>recoverFromOplog</c>, in
/// <c>OplogApplication::Mode::kStableRecovering</c>): each entry is applied without being logged again and then joins
/// the oplog as it was. It applies exactly what the emulator logs, the way the emulator applied it: CRUD as the
/// applier applies it (an insert of an existing <c>_id</c> replaces it), collection and index commands on the catalog
/// directly, and a transaction's <c>applyOps</c> (a <c>partialTxn</c> chain gathered until its last entry) as its
/// commit applied it. Callers hold the replica-set lock.
/// </summary>
internal sealed class RecoveryApplier
{
    private readonly ReplicaSetState _state;
    private readonly OplogApplier _crud;
    private readonly Dictionary<string, List<BsonDocument>> _chains = new(StringComparer.Ordinal);

    public RecoveryApplier(ReplicaSetState state)
    {
        _state = state;
        _crud = new OplogApplier(state, log: false);
    }

    /// <summary>Applies one journal record, throwing (naming the journal and the record) when it does not apply.</summary>
    public void Apply(JournalImage journal, Record record)
    {
        try
        {
            switch (record.Kind)
            {
                case RecordKind.OplogEntry:
                    var entry = record.Decode();
                    var ts = entry["ts"].AsBsonTimestamp;
                    if (ts.CompareTo(_state.LastApplied.Ts) <= 0)
                    {
                        throw new InvalidDataException($"entry {ts} is not after {_state.LastApplied.Ts}, the newest entry before it");
                    }

                    ApplyOperation(entry);
                    _state.RecoverEntry(entry, record.Buffer.AsSpan(record.Offset, record.Length).ToArray());
                    break;
                case RecordKind.Unlogged:
                    ApplyOperation(record.Decode());
                    break;
                case RecordKind.OplogSize:
                    _state.RecoverOplogSize(record.Decode()["maxBytes"].ToInt64());
                    break;
                default:
                    throw new InvalidDataException($"a '{(char)record.Kind}' record has no place in a journal");
            }
        }
        catch (Exception e) when (e is InvalidDataException or CommandError or KeyNotFoundException or InvalidCastException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new MongoDataDirectoryException(journal.Path, $"record {record.Index} at offset {record.Position} does not apply to the checkpoint it follows: {e.Message}", e);
        }
    }

    private void ApplyOperation(BsonDocument op)
    {
        switch (op["op"].AsString)
        {
            case "n":
                break;
            case "c":
                Command(op);
                break;
            default:
                _crud.ApplyCrud(op, alwaysUpsert: true);
                break;
        }
    }

    private void Command(BsonDocument op)
    {
        var o = op["o"].AsBsonDocument;
        var (database, _) = Names.Split(op["ns"].AsString);
        var storage = _state.Storage;
        switch (o.GetElement(0).Name)
        {
            case "create":
                Create(op, o, database);
                break;
            case "drop":
                if (Target(op, database, o["drop"].AsString) is { } dropped)
                {
                    storage.Remove(dropped.Database, dropped.Name);
                }

                break;
            case "dropDatabase":
                // Each collection's drop came first, logged on its own (ReplicaSetState.DropDatabase).
                foreach (var left in storage.Collections(database).ToList())
                {
                    storage.Remove(database, left.Name);
                }

                break;
            case "createIndexes":
                Required(op, database, o["createIndexes"].AsString).Indexes.Add(new BsonDocument(o.Skip(1)));
                break;
            case "commitIndexBuild":
                Required(op, database, o["commitIndexBuild"].AsString).Indexes.AddRange(o["indexes"].AsBsonArray.Select(i => i.AsBsonDocument));
                break;
            case "startIndexBuild" or "abortIndexBuild" or "collMod":
                // The build is committed by its own entry; collMod is logged but changes nothing the emulator keeps.
                break;
            case "dropIndexes":
                var index = o.GetValue("index", BsonNull.Value);
                Required(op, database, o["dropIndexes"].AsString).Indexes.RemoveAll(i => i["name"] == index && index != "_id_");
                break;
            case "renameCollection":
                Rename(op, o);
                break;
            case "applyOps":
                Transaction(op, o);
                break;
            default:
                throw new InvalidDataException($"command entry '{o.GetElement(0).Name}' is not one the emulator logs");
        }
    }

    private void Create(BsonDocument op, BsonDocument o, string database)
    {
        var options = new BsonDocument(o.Where(e => e.Name is not ("create" or "idIndex")));
        Guid? uuid = op.TryGetValue("ui", out var ui) && ui is BsonBinaryData binary ? binary.ToGuid(GuidRepresentation.Standard) : null;
        var name = o["create"].AsString;
        if (_state.Storage.Find(database, name) is not null)
        {
            throw new InvalidDataException($"collection {database}.{name} already exists");
        }

        _state.Storage.Add(database, name, options, uuid);
    }

    private void Rename(BsonDocument op, BsonDocument o)
    {
        var (fromDb, fromName) = Names.Split(o["renameCollection"].AsString);
        var (toDb, toName) = Names.Split(o["to"].AsString);
        var source = _state.Storage.Find(fromDb, fromName) ?? _crud.Resolve(op, required: true)!;
        if (_state.Storage.Find(toDb, toName) is { } existing)
        {
            // dropTarget's drop is logged before the rename; a target still there is dropped the same way.
            _state.Storage.Remove(existing.Database, existing.Name);
        }

        _state.Storage.Rename(source, toName);
    }

    /// <summary>A committed transaction's operations, applied as <c>TransactionCommands</c> applied them at commit.</summary>
    private void Transaction(BsonDocument op, BsonDocument o)
    {
        var key = op.TryGetValue("lsid", out var lsid) ? $"{lsid["id"]}/{op.GetValue("txnNumber", 0)}" : null;
        var operations = key is not null && _chains.Remove(key, out var earlier) ? earlier : [];
        operations.AddRange(o["applyOps"].AsBsonArray.Select(i => i.AsBsonDocument));
        if (o.GetValue("partialTxn", false).ToBoolean())
        {
            _chains[key ?? throw new InvalidDataException("a partialTxn entry without lsid")] = operations;
            return;
        }

        foreach (var inner in operations)
        {
            if (inner["op"] == "c")
            {
                Create(inner, inner["o"].AsBsonDocument, Names.Split(inner["ns"].AsString).Database);
            }
            else if (_crud.Resolve(inner, required: false) is not null)
            {
                _crud.ApplyCrud(inner, alwaysUpsert: true);
            }
        }
    }

    private CollectionState? Target(BsonDocument op, string database, string name)
    {
        var lookup = new BsonDocument("ns", $"{database}.{name}");
        if (op.TryGetValue("ui", out var ui))
        {
            lookup.Add("ui", ui);
        }

        return _crud.Resolve(lookup, required: false);
    }

    private CollectionState Required(BsonDocument op, string database, string name) =>
        Target(op, database, name) ?? throw new InvalidDataException($"collection {database}.{name} does not exist");
}
