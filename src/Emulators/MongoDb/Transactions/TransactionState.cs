using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Transactions;

/// <summary>
/// An open multi-document transaction: private copies of the collections it touched (its snapshot and its
/// writes, invisible to others until commit) and the operations it will log as applyOps on commit.
/// </summary>
internal sealed class TransactionState
{
    public TransactionState(RetryableWrite session) => Session = session;

    public RetryableWrite Session { get; }

    public long TxnNumber => Session.TxnNumber;

    public Dictionary<string, CollectionState> Overlays { get; } = new(StringComparer.Ordinal);

    /// <summary>Inner applyOps operations <c>{op, ns, ui, o, o2?}</c>, in statement order.</summary>
    public List<BsonDocument> Operations { get; } = [];

    public TransactionPhase Phase { get; set; } = TransactionPhase.Active;

    /// <summary>The <c>ts</c> of the prepare entry, once prepared: a commit must come at or after it.</summary>
    public BsonTimestamp? PrepareTimestamp { get; set; }
}
