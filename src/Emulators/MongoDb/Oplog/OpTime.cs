using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>A replication optime <c>{ts, t}</c>; the null optime is <c>{ts: Timestamp(0,0), t: -1}</c>.</summary>
internal readonly record struct OpTime(BsonTimestamp Ts, long Term, DateTime Wall)
{
    public static readonly OpTime Null = new(new BsonTimestamp(0, 0), -1, DateTime.UnixEpoch);

    public BsonDocument ToDocument() => new() { { "ts", Ts }, { "t", Term } };
}
