using Archiver.Storage.FullBackups;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// Before the first write into a target started from volumes: it holds the snapshot's data, not an empty data
    /// directory (a claim admitted without its data source, when the archiver's webhook was not reached) and not another
    /// snapshot's. The snapshot was cut with its member locked right after the entry at the recorded ts (a data
    /// directory keeps its <c>local.oplog.rs</c>), so that entry is in the target's oplog.
    /// </summary>
    private async Task EnsureVolumesHoldBaseAsync(BackupManifest backup, CancellationToken cancellationToken)
    {
        var snapshot = backup.VolumeSnapshots[0];
        var entry = await target.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(new BsonDocument("ts", OplogFields.ToBson(snapshot.Ts))).Limit(1).FirstOrDefaultAsync(cancellationToken);
        if (entry is null)
        {
            throw new RestoreRefusedException(
                $"The target was not started from VolumeSnapshot {snapshot.Namespace}/{snapshot.Name} of backup {backup.Id}: its oplog has no entry at the snapshot's "
                + $"position {snapshot.Ts} (its claims were made without the snapshot as their data source). Delete the database and its claims, and create it again");
        }
    }

    /// <summary>The base is the volumes' data: nothing to load; the marker says so, as after a load.</summary>
    private async Task<long> BaseInVolumesAsync(CancellationToken cancellationToken)
    {
        await RestoreMarker.LoadDoneAsync(target, _options.RestoreId, cancellationToken);
        return 0;
    }
}
