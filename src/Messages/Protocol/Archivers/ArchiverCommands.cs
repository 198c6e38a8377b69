namespace Archiver.Messages.Protocol.Archivers;

public interface IArchiverCommand : IWithArchiverId;

/// <summary>
/// Something the archiver depends on changed (itself, a database, an ops request, a storage): look again. The
/// archiver reads its node's resource cache, which may trail the watcher's on another node; <paramref name="After"/>
/// names the change that prompted this, and the archiver looks once its cache holds it.
/// </summary>
public sealed record ReconcileArchiver(ResourceId ArchiverId, string Reason, ObservedVersion? After = null) : IArchiverCommand;

/// <summary>A change the watcher saw: the kind of the resource that changed and the resourceVersion it reached.</summary>
public sealed record ObservedVersion(string Kind, long ResourceVersion);

/// <summary>Answered with the entity's <see cref="ArchiverState"/>.</summary>
public sealed record GetArchiverState(ResourceId ArchiverId) : IArchiverCommand;
