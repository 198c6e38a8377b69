using Archiver.Messages.Protocol;

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

/// <param name="Time">Every entry at or before this wall time; null with <paramref name="Ts"/>.</param>
public sealed record RestoreJob(ResourceId Database, ResourceId Storage, string SourcePrefix, DateTimeOffset? Time, string? Ts, bool Exclusive);

public sealed record RestoreProgressReport(long EntriesDone, long EntriesTotal, long BytesDone, long BytesTotal);

public sealed record RestoreOutcome(string BaseBackupId, long EntriesApplied, IReadOnlyList<string> Skipped);
