using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>Everything an archiver's decisions depend on, read from the node's resource cache at one moment.</summary>
/// <param name="Archiver">The archiver itself; null once it is gone.</param>
/// <param name="Databases">The databases it can decide on: those its selection reaches, those naming it
/// (<c>spec.archiver.ref</c>) and those it remembers acting on; a remembered one missing here is deleted.</param>
/// <param name="Namespaces">Namespaces with their labels; empty when no selection or usage policy of the
/// archiver goes by namespace labels.</param>
/// <param name="Archivers">Every archiver, to settle which one a contested database belongs to.</param>
/// <param name="OpsRequests">The ops requests naming the archiver, and those it remembers issuing, by id.</param>
public sealed record ArchiverWorld(
    MongoDBArchiver? Archiver,
    IReadOnlyList<MongoDB> Databases,
    IReadOnlyList<NamespaceInfo> Namespaces,
    IReadOnlyList<MongoDBArchiver> Archivers,
    IReadOnlyDictionary<ResourceId, MongoDBOpsRequest> OpsRequests,
    BackupStorage? Storage,
    RetentionPolicy? Retention)
{
    /// <summary>
    /// Why this node cannot take the archiver's full backups with its driver (<see cref="IFullBackupRunner.Refuses"/>);
    /// null when it can. A fact of the node, not of the store: the same archiver may be refused by an embedded node
    /// and run by a cluster.
    /// </summary>
    public string? DriverRefusal { get; init; }

    /// <summary>Why this node cannot archive a sharded cluster with the archiver's full-backup driver (<see cref="Ports.IFullBackupRunner.RefusesSharded"/>), or null when it can.</summary>
    public string? ShardedRefusal { get; init; }

    /// <summary>Why this node refuses a MongoDB whose spec says standalone (<see cref="Ports.IFullBackupRunner.RefusesStandalone"/>), or null.</summary>
    public string? StandaloneRefusal { get; init; }
}
