using MongoDB.Bson;

namespace Archiver.Mongo.Backup;

/// <summary>
/// One data file per collection: a header document, then the collection's documents as BSON, back to back, as
/// read (never re-serialised). The header is <c>{format: 1, db, collection, options, indexes}</c> (indexes
/// without <c>_id_</c>, as listIndexes returns them). File names are <c>c&lt;n&gt;.bson</c>: database and collection
/// names may hold characters an object key must not.
/// </summary>
public static class DumpFormat
{
    public const string Driver = "archiver-logical";

    public static string FileName(int index) => $"c{index:D6}.bson";

    public static BsonDocument Header(string database, string collection, BsonDocument options, BsonArray indexes) => new()
    {
        { "format", 1 },
        { "db", database },
        { "collection", collection },
        { "options", options },
        { "indexes", indexes },
    };

    /// <summary>
    /// Collections a logical backup leaves out: all of <c>local</c>, and every <c>system.*</c> collection plus the
    /// session and transaction tables of <c>config</c> (MongoDB maintains them; restoring them is refused or harmful).
    /// </summary>
    public static bool IsExcluded(string database, string collection) =>
        database == "local"
        || collection.StartsWith("system.", StringComparison.Ordinal)
        || (database == "config" && collection is "transactions" or "image_collection" or "system.sessions");
}
