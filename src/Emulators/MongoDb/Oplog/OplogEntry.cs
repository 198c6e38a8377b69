using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>One stored oplog document with the values the capped collection and cursors need.</summary>
internal sealed record OplogEntry(BsonTimestamp Ts, BsonDocument Document, int Size)
{
    public long Position => Ts.Value;
}
