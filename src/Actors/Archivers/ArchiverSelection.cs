using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Archivers;

/// <summary>
/// Which databases an archiver selects, which archiver a contested database belongs to, and whether a storage or
/// retention policy may be used from a namespace.
/// </summary>
public static class ArchiverSelection
{
    /// <summary>
    /// Whether the archiver selects the database: its namespace is reached (<c>namespaces.from</c>: Same, the
    /// default, is the archiver's own; All; Selector by namespace labels) and its labels match
    /// <c>databases.selector</c> (empty matches all). <c>spec.archiver.ref</c> does not select: Archiver itself
    /// sets it when configuring, so a database whose labels stop matching is released; the ref only settles ties.
    /// </summary>
    public static bool Selects(MongoDBArchiver archiver, MongoDB db, IReadOnlyList<NamespaceInfo> namespaces)
    {
        var selection = archiver.Spec?.Databases;
        return Reaches(selection?.Namespaces, ResourceId.Of(archiver).Namespace, ResourceId.Of(db).Namespace, namespaces)
            && LabelSelectors.Matches(selection?.Selector, db.Metadata.Labels);
    }

    /// <summary>
    /// Why this node cannot archive <paramref name="db"/>, from its refusals (<see cref="Ports.IFullBackupRunner"/>): a
    /// sharded cluster's with the archiver's driver, or a standalone's; null when it can. The planner says it on the
    /// archiver (<c>Unsupported</c>); the MongoDB webhook gives such a database no <c>spec.archiver</c>.
    /// </summary>
    public static string? Unsupported(MongoDB db, string? shardedRefusal, string? standaloneRefusal) =>
        db.IsSharded() ? shardedRefusal : db.IsStandalone() ? standaloneRefusal : null;

    /// <summary>
    /// The archiver a database belongs to among those selecting it: the one its <c>spec.archiver.ref</c> names if
    /// that one selects it, else the oldest (creation time), ties broken by namespace/name. Deterministic, so
    /// every archiver entity reaches the same answer on its own.
    /// </summary>
    public static ResourceId? Winner(MongoDB db, IEnumerable<MongoDBArchiver> selecting)
    {
        var contenders = selecting.Where(a => a.Metadata.DeletionTimestamp is null).ToList();
        if (contenders.Count == 0) return null;
        var dbId = ResourceId.Of(db);
        if (db.Spec?.Archiver?.Ref is { } chosen)
        {
            var named = new ResourceId(chosen.NamespaceOr(dbId.Namespace), chosen.Name);
            if (contenders.Any(a => ResourceId.Of(a) == named)) return named;
        }

        return contenders
            .OrderBy(a => a.Metadata.CreationTimestamp ?? DateTime.MaxValue)
            .ThenBy(ResourceId.Of)
            .Select(ResourceId.Of)
            .First();
    }

    /// <summary>KubeStash's usage policy: who may use a storage or retention policy; none means its own namespace only.</summary>
    public static bool Allows(UsagePolicy? policy, string ownerNamespace, string userNamespace, IReadOnlyList<NamespaceInfo> namespaces) =>
        Reaches(policy?.AllowedNamespaces, ownerNamespace, userNamespace, namespaces);

    private static bool Reaches(NamespaceSelection? selection, string ownNamespace, string target, IReadOnlyList<NamespaceInfo> namespaces) =>
        (selection?.From ?? NamespaceFrom.Same) switch
        {
            NamespaceFrom.All => true,
            NamespaceFrom.Selector => namespaces.FirstOrDefault(n => n.Name == target) is { } ns
                && LabelSelectors.Matches(selection!.Selector, ns.Labels.ToDictionary(l => l.Key, l => l.Value)),
            _ => target == ownNamespace,
        };
}
