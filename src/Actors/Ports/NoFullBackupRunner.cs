using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>Where a node has no backup driver configured: every run fails with this reason, recorded and visible.</summary>
public sealed class NoFullBackupRunner : IFullBackupRunner
{
    public Task<string> RunAsync(ResourceId database, string runId, CancellationToken cancellation) =>
        throw new NotSupportedException($"cannot back up {database}: this node has no full-backup driver configured");
}
