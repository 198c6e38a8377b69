using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Ports;

/// <summary>Restores a database from a repository to a point in time (the data plane's restore executor).</summary>
public interface IRestoreRunner
{
    /// <summary>Runs the restore to the end; throws when it was refused or failed, leaving the target marked incomplete.</summary>
    Task<RestoreOutcome> RunAsync(RestoreJob job, IProgress<RestoreProgressReport> progress, CancellationToken cancellation);
}

/// <summary>
/// The restore's target could not be reached (KubeDB still provisioning it, its secret not made yet, a member not
/// answering, a failover part way): the restore waits and tries again, and the next run starts, or resumes where this
/// one stopped; it fails for good only when its data is at fault, or when it is refused.
/// </summary>
public sealed class RestoreTargetUnreachableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>One database's restore: where from, to which target, how, and, once planned, the plan it runs.</summary>
/// <param name="Target">As the one parser of targets reads it (<c>RecoveryTarget</c>).</param>
/// <param name="Settings">Null for a restore requested before settings were recorded: read from the database's annotations.</param>
/// <param name="Plan">The recorded plan, run chunk for chunk; null until the StorageIndex has made it (or for a plan recorded without its document).</param>
public sealed record RestoreJob(ResourceId Database, ResourceId Storage, string SourcePrefix, string Target, RestoreSettings? Settings, PlanInfo? Plan = null);

public sealed record RestoreProgressReport(long EntriesDone, long EntriesTotal, long BytesDone, long BytesTotal);

public sealed record RestoreOutcome(string BaseBackupId, long EntriesApplied, IReadOnlyList<string> Skipped);
