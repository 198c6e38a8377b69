namespace Archiver.Actors.Ports;

/// <summary>Where a node has no restore executor configured: a restore fails with this reason, before writing anything.</summary>
public sealed class NoRestoreRunner : IRestoreRunner
{
    public Task<RestoreOutcome> RunAsync(RestoreJob job, IProgress<RestoreProgressReport> progress, CancellationToken cancellation) =>
        throw new NotSupportedException($"cannot restore {job.Database}: this node has no restore executor configured");
}
