using Archiver.Actors.Archivers;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// The seed's mutator step: a database that appears (or changes) with no <c>spec.archiver</c> gets the reference of
/// the archiver that selects it (by the same rule that settles contested databases), so its own entity configures
/// it from its first pod. In a cluster this runs in the mutating webhook; on the embedded node, in <c>apply</c>.
/// </summary>
public static class DatabaseMutator
{
    public static MongoDB Mutate(MongoDB db, IReadOnlyList<MongoDBArchiver> archivers, IReadOnlyList<NamespaceInfo> namespaces)
    {
        if (db.Spec?.Archiver is not null) return db;
        var selecting = archivers.Where(a => a.Metadata.DeletionTimestamp is null && a.Spec?.Pause != true && ArchiverSelection.Selects(a, db, namespaces));
        if (ArchiverSelection.Winner(db, selecting) is not { } winner) return db;
        return db with
        {
            Spec = (db.Spec ?? new MongoDBSpec()) with
            {
                Archiver = new DatabaseArchiverRef { Ref = new ObjectRef { Name = winner.Name, Namespace = winner.Namespace } },
            },
        };
    }

    /// <summary>
    /// Created with <c>spec.archiver</c> set and never configured: its own entity configures it (BackupConfiguration,
    /// Snapshot, archiving), with no ops request and no restart, as the seed's DB-controller steps say.
    /// </summary>
    public static bool NeedsConfigurationAtCreation(MongoDB db) =>
        db.Spec?.Archiver?.Ref is not null
        && db.Metadata.Annotations?.ContainsKey(ApiGroups.SpecHashAnnotation) != true
        && db.Status?.Archiver?.Phase is null or DatabaseArchiverPhase.Configuring;

    /// <summary>Created to be restored (<c>spec.init.archiver</c>) and not yet restored or failed: nothing archives it meanwhile.</summary>
    public static bool RestorePending(MongoDB db) =>
        db.Spec?.Init?.Archiver is not null
        && db.Status?.Archiver?.Phase is not (DatabaseArchiverPhase.Restored or DatabaseArchiverPhase.RestoreFailed or DatabaseArchiverPhase.Archiving or DatabaseArchiverPhase.Blocked);

    public static ResourceId? ArchiverOf(MongoDB db) =>
        db.Spec?.Archiver?.Ref is { } reference ? new ResourceId(reference.NamespaceOr(ResourceId.Of(db).Namespace), reference.Name) : null;
}
