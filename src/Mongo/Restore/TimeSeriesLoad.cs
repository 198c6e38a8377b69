using Archiver.Mongo.Backup;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// How a backed-up time-series collection is loaded, as mongorestore does it (mongodb/mongo-tools
/// <c>mongorestore/restore.go</c>): <c>create</c> with the view's name and its listed options (<c>timeseries</c>,
/// <c>expireAfterSeconds</c>) makes the view and its clustered <c>system.buckets.name</c> on the target, and the dumped
/// buckets are inserted into <c>system.buckets.name</c> as they are. MongoDB 5.0+ lets a client with the
/// <c>insert</c> action there (root, restore) write buckets directly; the buckets carry a validator on their schema,
/// and like mongorestore the load does not bypass it (it does for ordinary collections), so a bucket the target
/// would not accept fails the restore rather than landing unchecked. Later bucket writes come from the oplog.
/// </summary>
internal static class TimeSeriesLoad
{
    /// <summary>The collection the file's documents go to, and whether the target validates them.</summary>
    public static (string Collection, bool Validate) DocumentsOf(BsonDocument header)
    {
        var name = header["collection"].AsString;
        return header.GetValue("type", "collection") == DumpFormat.TimeSeriesType
            ? (DumpFormat.BucketsOf(name), true)
            : (name, false);
    }
}
