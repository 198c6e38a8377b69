using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Ports;

/// <summary>Takes one full backup of a database with its archiver's driver (a logical dump, or CSI snapshots).</summary>
public interface IFullBackupRunner
{
    /// <summary>
    /// Runs the backup to the end; returns the backup's id in the repository (and, for volume snapshots, what they are).
    /// Throws when it failed. The same run and
    /// attempt asked again (the entity recovered on another node while it ran) takes up what that attempt started
    /// rather than starting a second one, where the driver can (a backup Job is found by its name).
    /// </summary>
    Task<FullBackupResult> RunAsync(ResourceId database, string runId, int attempt, CancellationToken cancellation);

    /// <summary>
    /// Why this node cannot take full backups with <paramref name="driver"/>, in one line naming what to change; null
    /// when it can. Asked when an archiver is planned, so a driver the node cannot run is refused on the archiver
    /// before any database is configured, not found out by a failed backup at every scheduled run.
    /// </summary>
    string? Refuses(FullBackupDriver driver);

    /// <summary>
    /// Why this node cannot archive and back up a sharded cluster (<c>spec.shardTopology</c>) with full backups by
    /// <paramref name="driver"/>, in one line; null when it can (the embedded node: one stream per replica set,
    /// in-process). Asked when an archiver is planned, as <see cref="Refuses"/> is.
    /// </summary>
    string? RefusesSharded(FullBackupDriver driver) => null;

    /// <summary>
    /// Why this node refuses a MongoDB whose spec says it is a standalone (<see cref="MongoDB.IsStandalone"/>), before
    /// anything is configured; null when it leaves that to the server (the embedded node, where a MongoDB resource
    /// describes whatever its connection secret reaches, and the server says "not a replica-set member").
    /// </summary>
    string? RefusesStandalone() => null;
}

/// <summary>
/// A finished backup: its id in the repository, for a CSISnapshotter backup the snapshot of each component, and the
/// bytes it stored in the repository when the runner knows them (a logical dump's files; not a volume snapshot's).
/// </summary>
public sealed record FullBackupResult(string BackupId, IReadOnlyList<Messages.Protocol.Databases.BackupVolumeSnapshot>? VolumeSnapshots = null, long? StoredBytes = null);
