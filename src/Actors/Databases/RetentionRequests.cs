using Archiver.Actors.OpsRequests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Databases;

/// <summary>
/// Turns an archiver's RetentionPolicy into the StorageIndex request that applies it to one database's repository.
/// Defaults follow KubeStash: the last 7 successful and 1 failed backup when the policy leaves them out.
/// </summary>
public static class RetentionRequests
{
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
