using Akka.Actor;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;

namespace Archiver.Actors.Databases;

/// <summary>
/// What a database entity reaches the outside through. <c>Cache</c> is the node's informer: periodic looks read
/// from it rather than the store (10,000 databases observed every 10 s would otherwise be 1,000 reads a second
/// against the API server); without one they read the store. <c>Events</c> is where what a person would ask about
/// afterwards is told (<see cref="DatabaseNarration"/>); without one nothing is.
/// </summary>
public sealed record DatabasePorts(
    IResourceStore Store,
    IFullBackupRunner Backups,
    IOpsRequestSteps Steps,
    IActorRef StorageIndexes,
    IRestoreRunner Restores,
    IArchivingWorkloads Workloads,
    Watching.ResourceCache? Cache = null,
    IEventRecorder? Events = null);
