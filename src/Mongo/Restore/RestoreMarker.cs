using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

/// <summary>
/// The mark of a restore that has not finished: a document <c>{_id: restoreId, state, backupId, target,
/// startedAt, error?}</c> in <c>archiver_restore.incomplete</c> on the target, written before the first byte of
/// data and deleted (with the database once empty) only after the last entry was applied. A target holding it is
/// never a good restore: the control plane must not hand it over, and a new restore into it is refused.
/// </summary>
public static class RestoreMarker
{
    public const string Database = "archiver_restore";

    public const string Collection = "incomplete";

    public static IMongoCollection<BsonDocument> Markers(IMongoClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetDatabase(Database).GetCollection<BsonDocument>(Collection);
    }

    /// <summary>The markers on a target: empty means no restore into it is unfinished.</summary>
    public static async Task<IReadOnlyList<BsonDocument>> ListAsync(IMongoClient client, CancellationToken cancellationToken = default) =>
        await Markers(client).Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(cancellationToken);

    /// <param name="whole">The restore owns the whole replica set (it will record its lineage): nothing may archive it meanwhile.</param>
    internal static Task WriteAsync(IMongoClient client, string restoreId, string backupId, string target, bool whole, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        Markers(client).InsertOneAsync(
            new BsonDocument
            {
                { "_id", restoreId },
                { "state", "running" },
                { "backupId", backupId },
                { "target", target },
                { "whole", whole },
                { "startedAt", startedAt.UtcDateTime },
            },
            cancellationToken: cancellationToken);

    /// <summary>
    /// The unfinished restores that own the whole replica set: while one is there the replica set holds a restore's
    /// writes that are not a database's history yet, so archiving it must wait (or, once it failed, not start).
    /// </summary>
    public static async Task<IReadOnlyList<BsonDocument>> WholeAsync(IMongoClient client, CancellationToken cancellationToken = default) =>
        [.. (await ListAsync(client, cancellationToken)).Where(m => m.GetValue("whole", true).ToBoolean())];

    internal static Task FailAsync(IMongoClient client, string restoreId, string error) =>
        Markers(client).UpdateOneAsync(
            new BsonDocument("_id", restoreId),
            new BsonDocument("$set", new BsonDocument { { "state", "failed" }, { "error", error } }));

    internal static async Task RemoveAsync(IMongoClient client, string restoreId, CancellationToken cancellationToken)
    {
        await Markers(client).DeleteOneAsync(new BsonDocument("_id", restoreId), cancellationToken);
        if (await Markers(client).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: cancellationToken) == 0)
        {
            await client.DropDatabaseAsync(Database, cancellationToken);
        }
    }
}
