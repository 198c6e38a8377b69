using Archiver.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo;

/// <summary>What <c>hello</c> says about the replica set's write positions (MONGODB-OPLOG.md §7).</summary>
public sealed record ReplicaSetPosition(
    bool IsWritablePrimary,
    OplogTimestamp LastWrite,
    long LastWriteUnixMs,
    OplogTimestamp Majority,
    long MajorityUnixMs,
    long Term)
{
    /// <summary>Reads <c>hello.lastWrite</c>; the majority point is what WAL-G and PBM cap archiving at.</summary>
    public static async Task<ReplicaSetPosition> ReadAsync(IMongoClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: cancellationToken);
        var lastWrite = hello.GetValue("lastWrite", new BsonDocument()).AsBsonDocument;
        var opTime = lastWrite.GetValue("opTime", new BsonDocument()).AsBsonDocument;
        var majority = lastWrite.GetValue("majorityOpTime", new BsonDocument()).AsBsonDocument;
        return new ReplicaSetPosition(
            hello.GetValue("isWritablePrimary", hello.GetValue("ismaster", false)).ToBoolean(),
            OplogFields.ToStorage(opTime.GetValue("ts", new BsonTimestamp(0)).AsBsonTimestamp),
            UnixMs(lastWrite.GetValue("lastWriteDate", BsonNull.Value)),
            OplogFields.ToStorage(majority.GetValue("ts", new BsonTimestamp(0)).AsBsonTimestamp),
            UnixMs(lastWrite.GetValue("majorityWriteDate", BsonNull.Value)),
            TermOf(majority, opTime));
    }

    // The election term of the majority point: a majority ts from another term than an entry was read in proves
    // nothing about that entry, which a rollback between the two may have removed.
    private static long TermOf(BsonDocument majority, BsonDocument opTime) =>
        majority.TryGetValue("t", out var t) && t.IsNumeric ? t.ToInt64()
        : opTime.TryGetValue("t", out var o) && o.IsNumeric ? o.ToInt64()
        : -1;

    private static long UnixMs(BsonValue value) => value.IsBsonDateTime ? value.AsBsonDateTime.MillisecondsSinceEpoch : 0;
}
