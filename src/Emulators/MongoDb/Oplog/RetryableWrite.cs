using System.Security.Cryptography;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// The session fields MongoDB adds to each entry of a retryable write: <c>lsid</c> (with the user's uid),
/// <c>txnNumber</c>, <c>stmtId</c> counting the statements, and <c>prevOpTime</c> chaining the entries.
/// </summary>
internal sealed class RetryableWrite
{
    // Unauthenticated sessions carry the SHA-256 of the empty user name as uid.
    private static readonly byte[] AnonymousUid = SHA256.HashData([]);

    public RetryableWrite(BsonDocument lsid, long txnNumber)
    {
        Lsid = new BsonDocument { { "id", lsid["id"] }, { "uid", new BsonBinaryData(AnonymousUid, BsonBinarySubType.Binary) } };
        TxnNumber = txnNumber;
    }

    public BsonDocument Lsid { get; }

    public long TxnNumber { get; }

    public int NextStmtId { get; set; }

    public OpTime Previous { get; set; } = OpTime.Null;
}
