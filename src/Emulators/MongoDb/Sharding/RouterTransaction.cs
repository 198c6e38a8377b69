using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// A transaction as a router tracks it: which shards took part (each got <c>startTransaction</c> with its first
/// statement), which namespaces it touched on each, and how it ended. With two participants or more its commit is a
/// two-phase commit (src/mongo/s/transaction_router.cpp, src/mongo/db/s/transaction_coordinator.cpp).
/// </summary>
internal sealed class RouterTransaction(BsonDocument lsid, long txnNumber, BsonDocument? readConcern)
{
    public BsonDocument Lsid { get; } = lsid;

    public long TxnNumber { get; } = txnNumber;

    /// <summary>The transaction's read concern, sent with the first statement to each participant.</summary>
    public BsonDocument? ReadConcern { get; } = readConcern;

    /// <summary>Participants in the order they joined, with the namespaces each was sent.</summary>
    public Dictionary<string, HashSet<string>> Participants { get; } = new(StringComparer.Ordinal);

    public List<string> ParticipantOrder { get; } = [];

    public bool Committed { get; set; }

    /// <summary>Why the transaction was aborted under the client (a migration moved a chunk it read or wrote), or null.</summary>
    public string? AbortedBecause { get; set; }

    public static string KeyOf(BsonDocument lsid) => lsid.GetValue("id", lsid).ToString()!;
}
