using Archiver.Actors.Archivers;
using Archiver.Actors.Databases;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Watching;

/// <summary>
/// Which entities a change concerns, as pure functions of the object before and after it, so the watcher wakes
/// only those whose decisions can differ: a database's change wakes the archivers that can select it (before or
/// after, so one it leaves hears too) and the ones it names, never an archiver whose namespaces or selector
/// cannot include it; status writes that change nothing an entity decides on wake nobody.
/// </summary>
public static class ChangeRouting
{
    /// <summary>The archivers a database's change concerns; none when nothing archivers decide on changed.</summary>
    public static IReadOnlySet<ResourceId> ArchiversFor(MongoDB? before, MongoDB? after, SelectionIndex archivers)
    {
        var wake = new HashSet<ResourceId>();
        if (before is not null && after is not null && SelectionFacts(before) == SelectionFacts(after)) return wake;
        foreach (var db in new[] { before, after }.OfType<MongoDB>())
        {
            foreach (var archiver in archivers.MaySelect(ResourceId.Of(db).Namespace, db.Metadata.Labels)) wake.Add(ResourceId.Of(archiver));
            if (DatabaseMutator.ArchiverOf(db) is { } named) wake.Add(named);
        }

        return wake;
    }

    /// <summary>Whether the database's own entity should look again: its spec, annotations, archiving phase or deletion changed.</summary>
    public static bool ConcernsDatabase(MongoDB? before, MongoDB? after) =>
        before is null || after is null || DatabaseFacts(before) != DatabaseFacts(after);

    /// <summary>Whether an archiver's change is one its entity and its databases decide on: spec (generation) or deletion, not status or finalizers.</summary>
    public static bool ConcernsArchiver(MongoDBArchiver? before, MongoDBArchiver? after) =>
        before is null || after is null
        || before.Metadata.Generation != after.Metadata.Generation
        || before.Metadata.DeletionTimestamp != after.Metadata.DeletionTimestamp;

    /// <summary>Whether an archiver referring to a storage or retention policy should look again: it appeared, went, or its spec changed.</summary>
    public static bool ConcernsReferrers(Resource? before, Resource? after) =>
        before is null || after is null
        || before.Metadata.Generation != after.Metadata.Generation
        || before.Metadata.DeletionTimestamp != after.Metadata.DeletionTimestamp;

    /// <summary>Whether an archiver uses the storage or retention policy.</summary>
    public static bool Refers(MongoDBArchiver archiver, Resource used)
    {
        var own = ResourceId.Of(archiver).Namespace;
        var id = ResourceId.Of(used);
        return used switch
        {
            BackupStorage => archiver.Spec?.BackupStorage?.Ref is { } s && new ResourceId(string.IsNullOrEmpty(s.Namespace) ? own : s.Namespace, s.Name) == id,
            RetentionPolicy => archiver.Spec?.RetentionPolicy is { } r && new ResourceId(r.NamespaceOr(own), r.Name) == id,
            _ => false,
        };
    }

    // Archivers decide on labels, annotations, spec.archiver, the archiving phase and deletion; status writes that
    // change none of these (progress, windows, lag) would only make them look again for nothing.
    private static string SelectionFacts(MongoDB db) => string.Join('\n',
        Pairs(db.Metadata.Labels),
        Pairs(db.Metadata.Annotations),
        $"{db.Spec?.Archiver?.Ref?.Namespace}/{db.Spec?.Archiver?.Ref?.Name}/{db.Spec?.Archiver?.Pause}",
        $"{db.Status?.Archiver?.Phase}",
        $"{db.Metadata.DeletionTimestamp}");

    // The database entity decides on its spec (archiver, restore), its annotations (spec-hash), its archiving
    // phase (configuration at creation) and deletion; not on the status it writes itself every few seconds.
    private static string DatabaseFacts(MongoDB db) => string.Join('\n',
        $"{db.Metadata.Generation}",
        Pairs(db.Metadata.Annotations),
        $"{db.Status?.Archiver?.Phase}",
        $"{db.Metadata.DeletionTimestamp}");

    private static string Pairs(IDictionary<string, string>? pairs) =>
        string.Join(',', (pairs ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
