using Archiver.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

/// <summary>
/// The mark of a restore that has not finished: a document <c>{_id: restoreId, state, backupId, target,
/// startedAt, attempts, loaded: [file], loadDone, replay: {segment, appliedTo, readFrom, ...}, error?}</c> in
/// <c>archiver_restore.incomplete</c> on the target, written before the first byte of data and deleted (with the
/// database once empty) only after the last entry was applied. A target holding it is never a good restore: the
/// control plane must not hand it over, and a new restore into it is refused. It is also where a restore that was
/// stopped (its node killed, its connection lost) finds how far it got: the collections it loaded whole and the
/// replay's checkpoint, written in the same <c>applyOps</c> as the ops it covers (with several replay writers, first in
/// each <c>applyOps</c> of the round after them: <see cref="ApplyOpsRound.Lead"/>).
/// </summary>
public static class RestoreMarker
{
    public const string Database = "archiver_restore";

    public const string Collection = "incomplete";

    public const string Namespace = Database + "." + Collection;

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
                { "attempts", 1 },
                { "loaded", new BsonArray() },
                { "loadDone", false },
                // There from the start, so each checkpoint's $v:2 diff updates a field rather than adds one.
                { "replay", BsonNull.Value },
            },
            cancellationToken: cancellationToken);

    /// <summary>This restore's marker, if it was started on this target before and has not finished.</summary>
    internal static async Task<BsonDocument?> FindAsync(IMongoClient client, string restoreId, CancellationToken cancellationToken) =>
        await Markers(client).Find(new BsonDocument("_id", restoreId)).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Takes a stopped restore up again: running once more, one attempt more, the error of the last one gone.</summary>
    internal static Task ResumeAsync(IMongoClient client, string restoreId, DateTimeOffset at, CancellationToken cancellationToken) =>
        Markers(client).UpdateOneAsync(
            new BsonDocument("_id", restoreId),
            new BsonDocument
            {
                { "$set", new BsonDocument { { "state", "running" }, { "resumedAt", at.UtcDateTime } } },
                { "$inc", new BsonDocument("attempts", 1) },
                { "$unset", new BsonDocument("error", "") },
            },
            cancellationToken: cancellationToken);

    /// <summary>A backup file whose collection is loaded whole (documents and indexes): a resumed restore leaves it be.</summary>
    internal static Task LoadedAsync(IMongoClient client, string restoreId, string file, CancellationToken cancellationToken) =>
        Markers(client).UpdateOneAsync(
            new BsonDocument("_id", restoreId),
            new BsonDocument("$addToSet", new BsonDocument("loaded", file)),
            cancellationToken: cancellationToken);

    internal static Task LoadDoneAsync(IMongoClient client, string restoreId, CancellationToken cancellationToken) =>
        Markers(client).UpdateOneAsync(
            new BsonDocument("_id", restoreId),
            new BsonDocument("$set", new BsonDocument("loadDone", true)),
            cancellationToken: cancellationToken);

    /// <summary>
    /// The replay's checkpoint as an op for the <c>applyOps</c> of the batch it covers, last in it: MongoDB applies
    /// a batch's ops in order (one by one since 7.0, so a batch may stop part way), so a checkpoint there is never
    /// ahead of what was applied. A <c>$v: 2</c> update (the form MongoDB 5.1+ logs and applies; MONGODB-OPLOG.md).
    /// </summary>
    internal static BsonDocument CheckpointOp(string restoreId, RestoreCheckpoint checkpoint) =>
        new()
        {
            { "op", "u" },
            { "ns", Namespace },
            { "o", new BsonDocument { { "$v", 2 }, { "diff", new BsonDocument("u", new BsonDocument("replay", checkpoint.ToBson())) } } },
            { "o2", new BsonDocument("_id", restoreId) },
        };

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

    /// <summary>
    /// The restore's last step: once its marker is deleted it is done, so the tidying after that is not cut short by
    /// its caller's cancellation (a run told to stop now would leave a finished restore that says it was stopped).
    /// </summary>
    internal static async Task RemoveAsync(IMongoClient client, string restoreId, CancellationToken cancellationToken)
    {
        await Markers(client).DeleteOneAsync(new BsonDocument("_id", restoreId), cancellationToken);
        if (await Markers(client).CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: CancellationToken.None) == 0)
        {
            await client.DropDatabaseAsync(Database, CancellationToken.None);
        }
    }
}

/// <summary>
/// How far a replay got: every entry of the plan's segments before <see cref="Segment"/>, and of that segment up to
/// <see cref="AppliedTo"/>, is applied; the transactions open there began at or after <see cref="ReadFrom"/>, so a
/// resumed replay reads from there, collecting their entries without applying anything up to <see cref="AppliedTo"/>.
/// </summary>
/// <param name="AppliedWallUnixMs">The wall time of the entry at <see cref="AppliedTo"/>.</param>
/// <param name="EntriesApplied">Entries applied by the replay so far, over all segments and attempts.</param>
public sealed record RestoreCheckpoint(int Segment, OplogTimestamp AppliedTo, long AppliedWallUnixMs, OplogTimestamp ReadFrom, long EntriesApplied)
{
    public BsonDocument ToBson() => new()
    {
        { "segment", Segment },
        { "appliedTo", OplogFields.ToBson(AppliedTo) },
        { "appliedWall", AppliedWallUnixMs },
        { "readFrom", OplogFields.ToBson(ReadFrom) },
        { "entries", EntriesApplied },
    };

    public static RestoreCheckpoint? From(BsonDocument marker) =>
        marker.GetValue("replay", BsonNull.Value) is BsonDocument replay
            ? new RestoreCheckpoint(
                replay["segment"].ToInt32(),
                OplogFields.ToStorage(replay["appliedTo"].AsBsonTimestamp),
                replay["appliedWall"].ToInt64(),
                OplogFields.ToStorage(replay["readFrom"].AsBsonTimestamp),
                replay["entries"].ToInt64())
            : null;
}
