using Archiver.Mongo.Restore;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using MongoDB.Driver;

namespace Archiver.Mongo.Archiving;

/// <summary>
/// The one way a database's timeline is opened before anything is written for it, by the node (oplog archiving on
/// the embedded node, full backups) and by the sidecar alike: the replica set says whether a restore into it is
/// still under way (then nothing may be archived yet) and which history it was restored from (then its timeline
/// branches from there), and <see cref="RepositoryHistory"/> decides.
/// </summary>
public static class ArchivingTimeline
{
    /// <summary>
    /// The timeline <paramref name="databaseUid"/> writes. Throws <see cref="RestoreUnfinishedException"/> while a
    /// restore that owns the replica set has not finished, and <see cref="ForeignHistoryException"/> when the prefix
    /// holds a history this database does not continue.
    /// </summary>
    public static async Task<TimelineRecord> OpenAsync(
        IMongoClient client, IObjectStore store, RepositoryLayout layout, string databaseUid, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await OpenWithLineageAsync(client, store, layout, databaseUid, now, cancellationToken)).Timeline;

    private static async Task<(TimelineRecord Timeline, RestoreLineage? Lineage)> OpenWithLineageAsync(
        IMongoClient client, IObjectStore store, RepositoryLayout layout, string databaseUid, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if ((await RestoreMarker.WholeAsync(client, cancellationToken)) is { Count: > 0 } unfinished)
        {
            var marker = unfinished[0];
            throw new RestoreUnfinishedException(marker.GetValue("state", "running").AsString == "failed"
                ? $"the replica set holds a failed restore ({marker["_id"]} to {marker.GetValue("target", "?")}: {marker.GetValue("error", "unknown error")}); it is not a database's history, so it is not archived"
                : $"a restore into the replica set ({marker["_id"]} to {marker.GetValue("target", "?")}) has not finished; archiving starts when it has");
        }

        var lineage = await LineageRecord.ReadAsync(client, cancellationToken);
        return (await new RepositoryHistory(store, layout).OpenForArchivingAsync(databaseUid, now, lineage, cancellationToken), lineage);
    }

    /// <summary>
    /// One replica set's stream (a replica set's, or one of a sharded cluster's config server and shards, on the node
    /// or in its own pods' sidecar): the database's timeline, opened with this replica set's lineage, and the entry of
    /// its own oplog it starts after. A restored sharded cluster's replica sets name the same branch (the cluster's
    /// restore point, <c>RestoreOptions.BranchedAfter</c>), so whichever opens the timeline first makes the one the
    /// others find; but each starts after its own restore's last write, an entry of its own oplog, never another's,
    /// which the timeline record (written by the first) may hold.
    /// </summary>
    public static async Task<ArchivingStart> OpenStreamAsync(
        IMongoClient client, IObjectStore store, RepositoryLayout layout, string databaseUid, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (timeline, lineage) = await OpenWithLineageAsync(client, store, layout, databaseUid, now, cancellationToken);
        // Only this replica set's own lineage says where its restore ended. One without (never restored, or a shard added
        // to a restored cluster) is archived from its oplog's start: the timeline's ArchiveAfter is the opener's, an entry
        // of another replica set's oplog when that was another replica set.
        return new ArchivingStart(timeline, lineage?.ArchiveAfter);
    }
}
