using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Transactions;

/// <summary>Per logical session: its newest transaction and the reply of its newest retryable write.</summary>
internal sealed class SessionState
{
    public TransactionState? Transaction { get; set; }

    public long LastRetryableTxnNumber { get; set; } = -1;

    /// <summary>Replayed when the driver retries the same txnNumber, so a retried write is not applied twice.</summary>
    public BsonDocument? LastRetryableReply { get; set; }
}
