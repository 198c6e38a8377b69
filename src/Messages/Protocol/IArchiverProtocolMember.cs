namespace Archiver.Messages.Protocol;

/// <summary>
/// Every command, event, state and snapshot the actors exchange or persist. The serializer is bound to this
/// marker, so nothing of ours ever falls back to the default reflection-based JSON.
/// </summary>
public interface IArchiverProtocolMember;

/// <summary>Addressed to the archiver entity of <see cref="ArchiverId"/>.</summary>
public interface IWithArchiverId : IArchiverProtocolMember
{
    ResourceId ArchiverId { get; }
}

/// <summary>Addressed to the database entity of <see cref="DatabaseId"/>.</summary>
public interface IWithDatabaseId : IArchiverProtocolMember
{
    ResourceId DatabaseId { get; }
}

/// <summary>Addressed to the ops request entity of <see cref="OpsRequestId"/>.</summary>
public interface IWithOpsRequestId : IArchiverProtocolMember
{
    ResourceId OpsRequestId { get; }
}
