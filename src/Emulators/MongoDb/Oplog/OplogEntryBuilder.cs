using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>Builds oplog documents with MongoDB's field order: session fields, op, ns, ui, o, o2, ts, t, v, wall, then chain fields.</summary>
internal static class OplogEntryBuilder
{
    public static BsonDocument Build(
        string op,
        string ns,
        Guid? ui,
        BsonDocument o,
        BsonDocument? o2,
        OpTime at,
        RetryableWrite? retry = null,
        int? stmtId = null)
    {
        // Compact: the oplog keeps every entry (see CompactDocument).
        var entry = new CompactDocument(retry is null ? 10 : 14);
        if (retry is not null)
        {
            // Stored entries are never mutated, so they can share the session's lsid document.
            entry.Add("lsid", retry.Lsid);
            entry.Add("txnNumber", retry.TxnNumber);
        }

        entry.Add("op", op);
        entry.Add("ns", ns);
        if (ui is { } uuid)
        {
            entry.Add("ui", new BsonBinaryData(uuid, GuidRepresentation.Standard));
        }

        entry.Add("o", o);
        if (o2 is not null)
        {
            entry.Add("o2", o2);
        }

        entry.Add("ts", at.Ts);
        entry.Add("t", new BsonInt64(at.Term));
        entry.Add("v", new BsonInt64(2));
        entry.Add("wall", new BsonDateTime(at.Wall));
        if (retry is not null)
        {
            if (stmtId is { } id)
            {
                entry.Add("stmtId", id);
            }

            entry.Add("prevOpTime", retry.Previous.ToDocument());
        }

        return entry;
    }
}
