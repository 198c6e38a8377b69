using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>Builds oplog documents with MongoDB's field order: session fields, op, ns, ui, o, o2, ts, t, v, wall, then chain fields.</summary>
internal static class OplogEntryBuilder
{
    private static readonly BsonInt64 Version = new(2);
    private static readonly BsonString Insert = new("i"), Update = new("u"), Delete = new("d"), Command = new("c"), Noop = new("n");

    // The values most entries share with the one before (ns, ui, term), kept once rather than once per entry: the
    // oplog holds every entry, and values nobody mutates (stored entries never are) can be shared like the lsid.
    // Replaced whole, so emulators appending on other threads see one consistent set or build their own.
    private static SharedValues s_last = new(new BsonString(string.Empty), null, null, new BsonInt64(0));

    public static BsonDocument Build(
        string op,
        string ns,
        Guid? ui,
        BsonDocument o,
        BsonDocument? o2,
        OpTime at,
        RetryableWrite? retry = null,
        int? stmtId = null,
        bool fromMigrate = false)
    {
        // Compact: the oplog keeps every entry (see CompactDocument).
        var entry = new CompactDocument(retry is null ? 10 : 14);
        if (retry is not null)
        {
            // Stored entries are never mutated, so they can share the session's lsid document.
            entry.Add("lsid", retry.Lsid);
            entry.Add("txnNumber", retry.TxnNumber);
        }

        var shared = Shared(ns, ui, at.Term);
        entry.Add("op", op switch { "i" => Insert, "u" => Update, "d" => Delete, "c" => Command, "n" => Noop, _ => new BsonString(op) });
        entry.Add("ns", shared.Ns);
        if (shared.Ui is { } uuid)
        {
            entry.Add("ui", uuid);
        }

        entry.Add("o", o);
        if (o2 is not null)
        {
            entry.Add("o2", o2);
        }

        if (fromMigrate)
        {
            // A chunk migration's copies and range deletions (MongoDB's OplogEntry `fromMigrate`): replicated as any
            // write, skipped by change streams; a restore must not count them twice across shards.
            entry.Add("fromMigrate", true);
        }

        entry.Add("ts", at.Ts);
        entry.Add("t", shared.Term);
        entry.Add("v", Version);
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

    private static SharedValues Shared(string ns, Guid? ui, long term)
    {
        var last = Volatile.Read(ref s_last);
        if (last.Ns.Value == ns && last.Uuid == ui && last.Term.Value == term)
        {
            return last;
        }

        var shared = new SharedValues(
            last.Ns.Value == ns ? last.Ns : new BsonString(ns),
            ui,
            ui is null ? null : last.Uuid == ui ? last.Ui : new BsonBinaryData(ui.Value, GuidRepresentation.Standard),
            last.Term.Value == term ? last.Term : new BsonInt64(term));
        Volatile.Write(ref s_last, shared);
        return shared;
    }

    private sealed record SharedValues(BsonString Ns, Guid? Uuid, BsonBinaryData? Ui, BsonInt64 Term);
}
