using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>Takes one full backup of a database with its archiver's driver (a logical dump, or CSI snapshots).</summary>
public interface IFullBackupRunner
{
    /// <summary>Runs the backup to the end; returns the backup's id in the repository. Throws when it failed.</summary>
    Task<string> RunAsync(ResourceId database, string runId, CancellationToken cancellation);
}
