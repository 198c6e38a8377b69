using Akka.Actor;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;

namespace Archiver.Actors.Databases;

/// <summary>What a database entity reaches the outside through.</summary>
public sealed record DatabasePorts(
    IResourceStore Store,
    IFullBackupRunner Backups,
    IOpsRequestSteps Steps,
    IActorRef StorageIndexes,
    IRestoreRunner Restores,
    IArchivingWorkloads Workloads);
