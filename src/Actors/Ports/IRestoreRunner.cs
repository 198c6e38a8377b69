using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>Restores a database from a repository to a point in time (the data plane's restore executor).</summary>
public interface IRestoreRunner
{
    /// <summary>Runs the restore to the end; throws when it was refused or failed, leaving the target marked incomplete.</summary>
    Task<RestoreOutcome> RunAsync(RestoreJob job, IProgress<RestoreProgressReport> progress, CancellationToken cancellation);
}

/// <param name="Time">Every entry at or before this wall time; null with <paramref name="Ts"/>.</param>
public sealed record RestoreJob(ResourceId Database, ResourceId Storage, string SourcePrefix, DateTimeOffset? Time, string? Ts, bool Exclusive);

public sealed record RestoreProgressReport(long EntriesDone, long EntriesTotal, long BytesDone, long BytesTotal);

public sealed record RestoreOutcome(string BaseBackupId, long EntriesApplied, IReadOnlyList<string> Skipped);
