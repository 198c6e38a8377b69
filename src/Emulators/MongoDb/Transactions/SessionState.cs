using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Transactions;

/// <summary>Per logical session: its newest transaction and the reply of its newest retryable write.</summary>
internal sealed class SessionState
{
    public TransactionState? Transaction { get; set; }

    public long LastRetryableTxnNumber { get; set; } = -1;

    /// <summary>Replayed when the driver retries the same txnNumber, so a retried write is not applied twice.</summary>
    public BsonDocument? LastRetryableReply { get; set; }

    /// <summary>
    /// The first statement id of the last retryable write: a router splits one client write into several batches to
    /// one shard under the same txnNumber, each with its own <c>stmtIds</c>; only the same batch again is a retry.
    /// </summary>
    public int LastRetryableFirstStmtId { get; set; }

    /// <summary>
    /// Held by the retryable write running on the session: mongod checks a session out to one operation at a time
    /// (src/mongo/db/session/session_catalog.h), so a retry that arrives while its first attempt still runs (the
    /// driver gave up on a connection the server was still answering on) waits for it, then finds it executed.
    /// </summary>
    public SemaphoreSlim Checkout { get; } = new(1, 1);
}
