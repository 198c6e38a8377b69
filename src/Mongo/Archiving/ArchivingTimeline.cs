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
        return await new RepositoryHistory(store, layout).OpenForArchivingAsync(databaseUid, now, lineage, cancellationToken);
    }

    /// <summary>
    /// For one replica set of a sharded cluster (whose timeline is the cluster's, opened through its router): refuses
    /// while a restore into it has not finished, and says after which entry its own stream starts when it was restored
    /// (its restore's last write), or null.
    /// </summary>
    public static async Task<Storage.OplogTimestamp?> OwnStartAsync(IMongoClient client, CancellationToken cancellationToken)
    {
        if ((await RestoreMarker.WholeAsync(client, cancellationToken)) is { Count: > 0 } unfinished)
        {
            throw new RestoreUnfinishedException($"a restore into this replica set of the cluster ({unfinished[0]["_id"]}) has not finished; archiving starts when it has");
        }

        return (await LineageRecord.ReadAsync(client, cancellationToken))?.BranchedAfter;
    }
}
