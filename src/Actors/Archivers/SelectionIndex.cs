using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Archivers;

/// <summary>
/// Which archivers can select a database, found from its namespace and labels instead of by asking every archiver:
/// archivers whose <c>namespaces.from</c> is Same are filed under their own namespace, the rest (All, Selector)
/// under any; within each, an archiver whose database selector has matchLabels is filed under one of its pairs,
/// so only archivers requiring a label the database carries are tried. Building it is linear in the archivers; a
/// lookup costs the database's labels plus the archivers it finds. The planner settles contested databases with
/// it, the watcher routes database changes with it.
/// </summary>
public sealed class SelectionIndex
{
    private readonly Dictionary<string, Bucket> _byOwnNamespace = new(StringComparer.Ordinal);
    private readonly Bucket _anyNamespace = new();

    public SelectionIndex(IEnumerable<MongoDBArchiver> archivers)
    {
        foreach (var archiver in archivers)
        {
            var from = archiver.Spec?.Databases?.Namespaces?.From ?? NamespaceFrom.Same;
            var own = ResourceId.Of(archiver).Namespace;
            var bucket = from == NamespaceFrom.Same
                ? _byOwnNamespace.TryGetValue(own, out var b) ? b : _byOwnNamespace[own] = new Bucket()
                : _anyNamespace;
            bucket.Add(archiver);
        }
    }

    /// <summary>
    /// The archivers whose selection can include a database in the namespace with these labels: Same only in its
    /// own namespace, All anywhere, Selector wherever its namespace selector may match (namespace labels are not
    /// watched, so a Selector archiver counts as reaching every namespace here; <see cref="Selecting"/> decides).
    /// </summary>
    public IEnumerable<MongoDBArchiver> MaySelect(string @namespace, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        var found = _anyNamespace.Find(labels);
        return _byOwnNamespace.TryGetValue(@namespace, out var own) ? own.Find(labels).Concat(found) : found;
    }

    /// <summary>The archivers that select the database, by <see cref="ArchiverSelection.Selects"/>.</summary>
    public IEnumerable<MongoDBArchiver> Selecting(MongoDB db, IReadOnlyList<NamespaceInfo> namespaces) =>
        MaySelect(ResourceId.Of(db).Namespace, db.Metadata.Labels).Where(a => ArchiverSelection.Selects(a, db, namespaces));

    private sealed class Bucket
    {
        private readonly Dictionary<(string Key, string Value), List<MongoDBArchiver>> _byPair = [];
        private readonly List<MongoDBArchiver> _unkeyed = [];

        public void Add(MongoDBArchiver archiver)
        {
            var selector = archiver.Spec?.Databases?.Selector;
            if (selector?.MatchLabels is { Count: > 0 } pairs)
            {
                // Any one required pair will do: a database lacking it cannot match.
                var (key, value) = pairs.OrderBy(p => p.Key, StringComparer.Ordinal).First();
                var pair = (key, value ?? "");
                if (!_byPair.TryGetValue(pair, out var list)) _byPair[pair] = list = [];
                list.Add(archiver);
            }
            else
            {
                _unkeyed.Add(archiver);
            }
        }

        public IEnumerable<MongoDBArchiver> Find(IDictionary<string, string> labels)
        {
            var keyed = labels.SelectMany(l => _byPair.TryGetValue((l.Key, l.Value), out var list) ? list : []);
            return keyed.Concat(_unkeyed).Where(a => LabelSelectors.Matches(a.Spec?.Databases?.Selector, labels));
        }
    }
}
