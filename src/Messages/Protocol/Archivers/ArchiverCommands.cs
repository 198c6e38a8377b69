namespace Archiver.Messages.Protocol.Archivers;

public interface IArchiverCommand : IWithArchiverId;

/// <summary>Something the archiver depends on changed (itself, a database, an ops request, a storage): look again.</summary>
public sealed record ReconcileArchiver(ResourceId ArchiverId, string Reason) : IArchiverCommand;

/// <summary>Answered with the entity's <see cref="ArchiverState"/>.</summary>
public sealed record GetArchiverState(ResourceId ArchiverId) : IArchiverCommand;
