using MongoDB.Bson;

namespace Archiver.Mongo.Backup;

/// <summary>
/// One data file per collection: a header document, then the collection's documents as BSON, back to back, as
/// read (never re-serialised). The header is <c>{format: 1, db, collection, options, indexes}</c> (indexes
/// without <c>_id_</c>, as listIndexes returns them); a view's file is its header alone, with <c>type: "view"</c>
/// and its definition as the options (<c>viewOn</c>, <c>pipeline</c>, <c>collation</c>), so the same
/// <c>create</c> restores it. File names are <c>c&lt;n&gt;.bson</c>: database and collection
/// names may hold characters an object key must not.
/// </summary>
public static class DumpFormat
{
    public const string Driver = "archiver-logical";

    public static string FileName(int index) => $"c{index:D6}.bson";

    public const string ViewType = "view";

    /// <summary>
    /// A time-series collection: its header has <c>type: "timeseries"</c> and its listCollections options
    /// (<c>timeseries: {timeField, metaField, granularity | bucketRoundingSeconds, bucketMaxSpanSeconds}</c>,
    /// <c>expireAfterSeconds</c>), and its documents are its buckets, read from <see cref="BucketsOf"/> as they are
    /// stored (as mongodump dumps a time-series collection); no indexes are recorded.
    /// </summary>
    public const string TimeSeriesType = "timeseries";

    /// <summary>Where MongoDB 5.0-8.x keep a time-series collection's data (mongodb/mongo src/mongo/db/timeseries/README.md).</summary>
    public const string BucketsPrefix = "system.buckets.";

    public static string BucketsOf(string timeSeries) => BucketsPrefix + timeSeries;

    /// <param name="uuid">The collection's UUID (listCollections' <c>info.uuid</c>): a sharded cluster's restore makes the collection with it.</param>
    public static BsonDocument Header(string database, string collection, BsonDocument options, BsonArray indexes, string? type = null, BsonValue? uuid = null)
    {
        var header = new BsonDocument
        {
            { "format", 1 },
            { "db", database },
            { "collection", collection },
            { "options", options },
            { "indexes", indexes },
        };
        if (type is not null) header.Add("type", type);
        if (uuid is BsonBinaryData) header.Add("uuid", uuid);
        return header;
    }

    /// <summary>
    /// Collections a logical backup leaves out: all of <c>local</c>, and every <c>system.*</c> collection plus the
    /// session and transaction tables of <c>config</c> (MongoDB maintains them; restoring them is refused or harmful).
    /// </summary>
    public static bool IsExcluded(string database, string collection) =>
        database == "local"
        || collection.StartsWith("system.", StringComparison.Ordinal)
        || (database == "config" && collection is "transactions" or "image_collection" or "system.sessions");
}
