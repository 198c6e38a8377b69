using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>Builds <c>{cursor:{id, ns, firstBatch|nextBatch}, ok:1}</c> replies, registering a cursor when results remain.</summary>
internal static class CursorReplies
{
    public static BsonDocument First(string ns, IEnumerable<BsonDocument> results, int? batchSize, ReplicaSetState state, bool singleBatch = false)
    {
        var cursor = new ListCursor(ns, results);
        var batch = cursor.Take(batchSize ?? 101);
        var id = 0L;
        if (!cursor.IsEmpty && !singleBatch)
        {
            id = state.Cursors.Register(cursor);
        }

        return Reply(ns, id, batch, "firstBatch");
    }

    public static BsonDocument Reply(string ns, long id, IEnumerable<BsonDocument> batch, string field) => new()
    {
        { "cursor", new BsonDocument { { "id", id }, { "ns", ns }, { field, new BsonArray(batch) } } },
        { "ok", 1.0 },
    };
}
