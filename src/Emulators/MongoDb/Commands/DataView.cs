using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Storage;
using Archiver.Emulators.MongoDb.Transactions;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// The data a command reads and writes, and where its oplog records go: straight to the oplog (with the
/// retryable-write session fields when the driver sent a txnNumber), or into an open transaction whose
/// private collection copies hold its writes until commit. Callers hold the replica-set lock.
/// </summary>
internal sealed class DataView
{
    private readonly ReplicaSetState _state;
    private readonly RetryableWrite? _retry;

    /// <param name="storage">What the command reads: the shared data, or the data its member had when it was fsync-locked.</param>
    public DataView(ReplicaSetState state, TransactionState? transaction, RetryableWrite? retry, StorageEngine storage)
    {
        _state = state;
        Transaction = transaction;
        _retry = retry;
        Storage = storage;
    }

    public TransactionState? Transaction { get; }

    /// <summary>
    /// The data this command reads. A write only runs on an unlocked member, where this is the shared data; reads on a
    /// locked member see it as it was at the lock.
    /// </summary>
    public StorageEngine Storage { get; }

    public CollectionState? Find(string database, string collection)
    {
        if (Transaction is null)
        {
            return Storage.Find(database, collection);
        }

        var ns = $"{database}.{collection}";
        if (Transaction.Overlays.TryGetValue(ns, out var overlay))
        {
            return overlay;
        }

        var shared = _state.Storage.Find(database, collection);
        if (shared is null)
        {
            return null;
        }

        overlay = shared.Clone();
        Transaction.Overlays.Add(ns, overlay);
        return overlay;
    }

    /// <summary>
    /// The collection, created if missing. Outside a transaction the creation is logged at once; inside one the
    /// new collection lives in the transaction until commit and its <c>create</c> becomes the first of the
    /// transaction's operations, as MongoDB 4.4+ logs it.
    /// </summary>
    public CollectionState FindOrCreate(string database, string collection, out bool created)
    {
        var existing = Find(database, collection);
        created = existing is null;
        if (existing is not null)
        {
            return existing;
        }

        Names.CheckCollection(database, collection);
        if (ViewCatalog.Find(_state.Storage, database, collection) is not null)
        {
            throw ViewCatalog.NotACollection(database, collection, "");
        }

        if (Transaction is null)
        {
            return _state.CreateCollection(database, collection, new BsonDocument());
        }

        var fresh = new CollectionState(database, collection, Guid.NewGuid(), new BsonDocument());
        Transaction.Overlays.Add(fresh.Namespace, fresh);
        Transaction.Operations.Add(new BsonDocument
        {
            { "op", "c" },
            { "ns", $"{database}.$cmd" },
            { "ui", fresh.UuidValue },
            { "o", new BsonDocument { { "create", collection }, { "idIndex", CollectionState.IdIndexSpec() } } },
        });
        return fresh;
    }

    public void Log(string op, CollectionState collection, BsonDocument o, BsonDocument? o2)
    {
        if (Transaction is null)
        {
            _state.Append(op, collection.Namespace, collection.Uuid, o, o2, _retry);
            return;
        }

        var inner = new BsonDocument { { "op", op }, { "ns", collection.Namespace }, { "ui", collection.UuidValue }, { "o", o } };
        if (o2 is not null)
        {
            inner.Add("o2", o2);
        }

        Transaction.Operations.Add(inner);
    }
}
