using Archiver.Actors.OpsRequests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Databases;

/// <summary>
/// Turns an archiver's RetentionPolicy into the StorageIndex request that applies it to one database's repository,
/// and its reply into the FullBackup Snapshots that describe what it deleted. Defaults follow KubeStash: the last 7
/// successful and 1 failed backup when the policy leaves them out.
/// </summary>
public static class RetentionRequests
{
    /// <summary>
    /// The FullBackup Snapshots of the database whose backups the run deleted (a key under <c>&lt;prefix&gt;/backups/&lt;id&gt;/</c>
    /// deleted names backup <c>id</c>), as <c>RecordSnapshot</c> in <c>DatabaseActor</c> writes them: the backup id in
    /// <c>spec.snapshotID</c>, the database in <c>spec.appRef</c>, and where marked, that storage and folder.
    /// </summary>
    public static IReadOnlyList<Snapshot> SnapshotsDeleted(ApplyRetention request, RetentionReply reply, ResourceId database, IEnumerable<Snapshot> snapshots)
    {
        var backups = $"{reply.Prefix.TrimEnd('/')}/backups/";
        var deleted = reply.Deletes
            .Where(k => k.StartsWith(backups, StringComparison.Ordinal) && k.IndexOf('/', backups.Length) > backups.Length)
            .Select(k => k[backups.Length..k.IndexOf('/', backups.Length)])
            .ToHashSet(StringComparer.Ordinal);
        return [.. snapshots.Where(s => s.Spec is { Type: SnapshotType.FullBackup, SnapshotId: { } backup, AppRef: { } app }
            && deleted.Contains(backup)
            && app.Kind == MongoDB.KindName && app.Name == database.Name && (string.IsNullOrEmpty(app.Namespace) ? ResourceId.Of(s).Namespace : app.Namespace) == database.Namespace
            && MarkedAt(s, Watching.SnapshotData.StorageAnnotation, request.StorageId.ToString())
            && MarkedAt(s, Watching.SnapshotData.DataAnnotation, $"{backups}{backup}/"))];
    }

    private static bool MarkedAt(Snapshot snapshot, string annotation, string value) =>
        snapshot.Metadata.Annotations?.TryGetValue(annotation, out var marked) != true || marked == value;

    public static ApplyRetention For(MongoDBArchiver archiver, RetentionPolicy? policy, ResourceId database, DateTimeOffset now)
    {
        var spec = policy?.Spec;
        TimeSpan? period = spec?.MaxRetentionPeriod is { } text && RetentionPeriod.TryParse(text, allowHours: true, out var span, out _)
            ? now - span.Before(now)
            : null;
        return new ApplyRetention(
            ArchiverResources.StorageId(archiver),
            ArchiverResources.Directory(archiver, database),
            KeepLastSucceeded: Math.Max(1, spec?.SuccessfulSnapshots?.Last ?? 7),
            KeepLastFailed: spec?.FailedSnapshots?.Last ?? 1,
            period,
            DryRun: false);
    }
}
