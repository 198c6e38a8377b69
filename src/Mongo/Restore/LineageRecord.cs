using Archiver.Storage;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

/// <summary>
/// A restored replica set's lineage, kept in the replica set itself: one document in <c>admin.archiver_lineage</c>
/// that a whole-replica-set restore writes once all its data is in (just before its marker goes), naming the history
/// and the point it was restored to. Whatever archives the replica set later (the node, or the sidecar in its pods,
/// once the marker is gone) reads it and continues that history on a timeline of its own, starting right after this
/// document's own oplog entry: every write of the restored data is older, so it is never archived a second time (the
/// marker's removal is newer, and replays skip its database), and everything the database wrote since is newer, so
/// none of it is missed. <c>admin</c> is neither backed up nor restored, and replays skip this collection: a
/// lineage never travels to another replica set.
/// </summary>
public static class LineageRecord
{
    public const string Database = "admin";

    public const string Collection = "archiver_lineage";

    public const string Namespace = Database + "." + Collection;

    /// <summary>
    /// Replaces the lineage with <paramref name="lineage"/> (its <c>ArchiveAfter</c> is not stored: it is this
    /// document's insert in the oplog). Majority-acknowledged, so a failover cannot roll it back after the restore
    /// reported success.
    /// </summary>
    public static async Task WriteAsync(IMongoClient client, string restoreId, string backupId, RestoreLineage lineage, DateTimeOffset restoredAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(lineage);
        var collection = Documents(client).WithWriteConcern(WriteConcern.WMajority);
        await collection.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken);
        await collection.InsertOneAsync(
            new BsonDocument
            {
                { "_id", restoreId },
                { "sourcePrefix", lineage.SourcePrefix },
                { "sourceTimeline", (long)lineage.SourceTimeline },
                { "sourceOwner", lineage.SourceOwner },
                { "branchedAfter", OplogFields.ToBson(lineage.BranchedAfter) },
                { "branchedAt", new BsonDateTime(lineage.BranchedAtWallUnixMs) },
                { "target", lineage.Target },
                { "backupId", backupId },
                { "restoredAt", restoredAt.UtcDateTime },
            },
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The replica set's lineage, or null if it was never restored as a whole. <c>ArchiveAfter</c> is the <c>ts</c>
    /// of the document's insert, or null when the oplog no longer holds it (then the restored database's history
    /// is not continuous with its source, and only its own full backups can restore it).
    /// </summary>
    public static async Task<RestoreLineage?> ReadAsync(IMongoClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var document = await Documents(client).Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("restoredAt", -1)).FirstOrDefaultAsync(cancellationToken);
        if (document is null)
        {
            return null;
        }

        var insert = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(new BsonDocument { { "ns", Namespace }, { "op", "i" }, { "o._id", document["_id"] } })
            .Sort(new BsonDocument("$natural", -1))
            .Limit(1)
            .Project(new BsonDocument("ts", 1))
            .FirstOrDefaultAsync(cancellationToken);
        return Parse(document, insert is null ? null : OplogFields.ToStorage(insert["ts"].AsBsonTimestamp));
    }

    /// <summary>
    /// The restore that wrote the replica set's lineage, if one finished there: its id, its base backup and the lineage
    /// (without <c>ArchiveAfter</c>: not looked up in the oplog). A restore whose node died after this was written and
    /// before it was recorded as done is done.
    /// </summary>
    public static async Task<(string RestoreId, string BackupId, RestoreLineage Lineage)?> FinishedAsync(IMongoClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var document = await Documents(client).Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("restoredAt", -1)).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : (document["_id"].AsString, document.GetValue("backupId", "").AsString, Parse(document, null));
    }

    private static RestoreLineage Parse(BsonDocument document, OplogTimestamp? archiveAfter) =>
        new(
            document["sourcePrefix"].AsString,
            checked((uint)document["sourceTimeline"].ToInt64()),
            document["sourceOwner"].AsString,
            OplogFields.ToStorage(document["branchedAfter"].AsBsonTimestamp),
            document["branchedAt"].AsBsonDateTime.MillisecondsSinceEpoch,
            archiveAfter,
            document["target"].AsString);

    private static IMongoCollection<BsonDocument> Documents(IMongoClient client) =>
        client.GetDatabase(Database).GetCollection<BsonDocument>(Collection);
}
