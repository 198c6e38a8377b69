using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Query;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// Applies oplog operations the way <c>applyOperation_inlock</c> does in ApplyOps mode: an insert becomes an
/// upsert on a duplicate key, an update needs <c>o2._id</c> and upserts when <c>alwaysUpsert</c> (or <c>b</c>),
/// a delete of a missing collection succeeds while an insert or update there is NamespaceNotFound. A present
/// <c>ui</c> names the collection. Callers hold the replica-set lock.
/// </summary>
internal sealed class OplogApplier
{
    private readonly ReplicaSetState _state;
    private readonly bool _log;

    // log: each applied write becomes its own entry (applyOps), or none does (a transaction commit, whose
    // applyOps entry is the log).
    public OplogApplier(ReplicaSetState state, bool log)
    {
        _state = state;
        _log = log;
    }

    public void ApplyCrud(BsonDocument op, bool alwaysUpsert)
    {
        var kind = op["op"].AsString;
        var o = op.GetValue("o", BsonNull.Value) as BsonDocument
            ?? throw new CommandError(ErrorCode.FailedToParse, "oplog entry needs an 'o' object");
        switch (kind)
        {
            case "i":
                Insert(Resolve(op, required: true)!, o);
                break;
            case "u":
                var id = op.GetValue("o2", BsonNull.Value) is BsonDocument o2 && o2.TryGetValue("_id", out var key)
                    ? key
                    : throw new CommandError(ErrorCode.NoSuchKey, "Missing expected field \"o2._id\" in update oplog entry");
                Update(Resolve(op, required: true)!, id, o, alwaysUpsert || op.GetValue("b", false).ToBoolean());
                break;
            case "d":
                var collection = Resolve(op, required: false);
                if (collection is not null && o.TryGetValue("_id", out var doomed) && collection.Remove(doomed))
                {
                    Log("d", collection, CompactDocument.IdOf(doomed), null);
                }

                break;
            default:
                throw new CommandError(ErrorCode.BadValue, $"unknown CRUD op type '{kind}'");
        }
    }

    public CollectionState? Resolve(BsonDocument op, bool required)
    {
        var ns = op.GetValue("ns", string.Empty).AsString;
        CollectionState? collection;
        if (op.TryGetValue("ui", out var ui) && ui is BsonBinaryData binary)
        {
            var uuid = binary.ToGuid(GuidRepresentation.Standard);
            collection = _state.Storage.FindByUuid(uuid);
            if (collection is null && required)
            {
                throw new CommandError(ErrorCode.NamespaceNotFound, $"Failed to apply operation due to missing collection ({uuid}): {op}");
            }
        }
        else
        {
            var (db, name) = Names.Split(ns);
            collection = _state.Storage.Find(db, name);
            if (collection is null && required)
            {
                throw new CommandError(ErrorCode.NamespaceNotFound, $"Failed to apply insert due to missing collection: {op}");
            }
        }

        return collection;
    }

    // What the applier is given is owned by nobody else: an op freshly decoded from the wire (applyOps), or an op a
    // committed transaction logged, which like every stored document and oplog entry is never mutated in place. So
    // it is stored and logged without a copy, as the insert command stores its decoded documents.
    private void Insert(CollectionState collection, BsonDocument o)
    {
        var document = UpdateOperators.WithIdFirst(o);
        if (collection.TryInsert(document))
        {
            Log("i", collection, document, CompactDocument.IdOf(document["_id"]));
            return;
        }

        // Insert becomes upsert on a duplicate key, so replaying an insert twice converges.
        collection.Put(document);
        Log("u", collection, document, CompactDocument.IdOf(document["_id"]));
    }

    private void Update(CollectionState collection, BsonValue id, BsonDocument o, bool upsert)
    {
        var existing = collection.Find(id);
        if (existing is null && !upsert)
        {
            throw new CommandError(ErrorCode.UpdateOperationFailed, $"Failed to apply update due to missing _id: {o}");
        }

        var isDelta = o.TryGetValue("$v", out var version) && version.ToInt32() == 2;
        BsonDocument post;
        if (isDelta)
        {
            // The pre-image stays as it was (it is compared with the result below to log only a real change), so the diff
            // applies to a top-level copy and copies each nested value it descends into.
            post = existing is null ? new BsonDocument("_id", id) : BsonIdentity.ShallowCopy(existing);
            UpdateDiffApplier.Apply(post, o["diff"].AsBsonDocument);
        }
        else if (UpdateOperators.IsOperatorUpdate(o))
        {
            // Not something MongoDB 5.1+ writes, but convenient for hand-written ops.
            post = UpdateOperators.Apply(existing ?? new BsonDocument("_id", id), o, inserting: existing is null);
        }
        else
        {
            post = UpdateOperators.WithIdFirst(BsonIdentity.ShallowCopy(o));
            post["_id"] = id;
        }

        collection.Put(post);
        if (existing is null)
        {
            Log("i", collection, post, CompactDocument.IdOf(id));
        }
        else if (!BsonIdentity.BinaryEquals(existing, post))
        {
            Log("u", collection, isDelta ? o : post, CompactDocument.IdOf(id));
        }
    }

    private void Log(string op, CollectionState collection, BsonDocument o, BsonDocument? o2)
    {
        if (_log)
        {
            _state.Append(op, collection.Namespace, collection.Uuid, o, o2);
        }
    }
}
