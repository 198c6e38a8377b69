using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Ports;

/// <summary>Where a node has no backup driver configured: every run fails with this reason, recorded and visible.</summary>
public sealed class NoFullBackupRunner : IFullBackupRunner
{
    public Task<FullBackupResult> RunAsync(ResourceId database, string runId, int attempt, CancellationToken cancellation) =>
        throw new NotSupportedException($"cannot back up {database}: this node has no full-backup driver configured");

    /// <summary>
    /// Refuses nothing up front: a node with no driver at all (a control plane under test) still configures archiving,
    /// and each run fails with the reason above.
    /// </summary>
    public string? Refuses(FullBackupDriver driver) => null;
}
