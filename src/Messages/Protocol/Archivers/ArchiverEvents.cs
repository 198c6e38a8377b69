using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.Archivers;

public interface IArchiverEvent : IWithArchiverId
{
    DateTimeOffset At { get; }
}

/// <summary>The archiver's spec as the entity acts on it: its generation and spec-hash.</summary>
public sealed record ArchiverSpecObserved(ResourceId ArchiverId, long Generation, string SpecHash, bool Paused, DateTimeOffset At) : IArchiverEvent;

/// <summary>Persisted before the MongoDBOpsRequest is created, so a crash in between creates it (by the same name) after recovery.</summary>
public sealed record OpsRequestIssued(ResourceId ArchiverId, ResourceId DatabaseId, ResourceId OpsRequestId, ArchiverOperationType Operation, string? SpecHash, DateTimeOffset At) : IArchiverEvent;

public sealed record OpsRequestPhaseObserved(ResourceId ArchiverId, ResourceId DatabaseId, ResourceId OpsRequestId, OpsRequestPhase Phase, DateTimeOffset At) : IArchiverEvent;

/// <summary>The database is no longer the archiver's: deselected and disabled, deleted, or lost to another archiver.</summary>
public sealed record DatabaseReleased(ResourceId ArchiverId, ResourceId DatabaseId, string Reason, DateTimeOffset At) : IArchiverEvent;

/// <param name="PrefixesToWipe">With WipeOut, the storage folders of every database the archiver archived, noted
/// when deletion starts because the databases are released one by one before the wipe.</param>
public sealed record ArchiverDeletionStarted(ResourceId ArchiverId, ArchiverDeletionPolicy Policy, IReadOnlyList<string> PrefixesToWipe, DateTimeOffset At) : IArchiverEvent;

/// <summary>The deletion policy was carried out and the archiver's finalizer removed.</summary>
public sealed record ArchiverDeletionFinished(ResourceId ArchiverId, DateTimeOffset At) : IArchiverEvent;
