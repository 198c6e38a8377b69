using Archiver.Messages.Protocol;
using Archiver.Messages.Validation;
using k8s.Models;

namespace Archiver.Actors.Watching;

/// <summary>
/// Objects of one kind with the indexes a controller reads by, as client-go's indexers keep them: by namespace,
/// by label (so a label selector narrows to the objects it can match before checking each), and by owner (the
/// archiver an object names). The in-memory store keys its storage this way and the node's informer its cache.
/// Lists come out ordered by namespace/name. Not thread-safe: the owner holds its lock around every call.
/// </summary>
internal sealed class IndexedObjects<T>(Func<T, IDictionary<string, string>?> labelsOf, Func<T, string?>? ownerOf = null)
    where T : class
{
    private readonly Dictionary<ResourceId, T> _objects = [];
    private readonly Dictionary<string, SortedSet<ResourceId>> _byNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<ResourceId>>> _byLabel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<ResourceId>> _byOwner = new(StringComparer.Ordinal);

    public int Count => _objects.Count;

    public IEnumerable<ResourceId> Ids => _objects.Keys;

    public bool TryGet(ResourceId id, out T value) => _objects.TryGetValue(id, out value!);

    public void Put(ResourceId id, T value)
    {
        if (_objects.TryGetValue(id, out var before))
        {
            // Most writes are status writes: the labels and owner are what they were, so the indexes stay as they are.
            _objects[id] = value;
            if (!SameLabels(labelsOf(before), labelsOf(value)))
            {
                UnindexLabels(id, before);
                IndexLabels(id, value);
            }

            if (ownerOf?.Invoke(before) is var was && ownerOf?.Invoke(value) is var owner && was != owner)
            {
                if (was is not null) Drop(_byOwner, was, id);
                if (owner is not null) Add(_byOwner, owner, id);
            }

            return;
        }

        _objects[id] = value;
        Add(_byNamespace, id.Namespace, id);
        IndexLabels(id, value);
        if (ownerOf?.Invoke(value) is { } first) Add(_byOwner, first, id);
    }

    public bool Remove(ResourceId id, out T? removed)
    {
        if (!_objects.Remove(id, out removed)) return false;
        Unindex(id, removed);
        return true;
    }

    /// <summary>Every object in the namespace, or in all (null).</summary>
    public IEnumerable<T> In(string? @namespace) =>
        (@namespace is null
            ? _byNamespace.OrderBy(n => n.Key, StringComparer.Ordinal).SelectMany(n => n.Value)
            : _byNamespace.TryGetValue(@namespace, out var names) ? names : []).Select(id => _objects[id]);

    /// <summary>
    /// The objects in the namespace (or all) whose labels match the selector (null or empty matches all). The
    /// narrowest label index the selector allows picks the candidates and each is checked against the whole
    /// selector, so the answer is the one checking every object would give.
    /// </summary>
    public IEnumerable<T> Matching(string? @namespace, V1LabelSelector? selector)
    {
        if (LabelSelectors.IsEmpty(selector)) return In(@namespace);
        if (Candidates(selector!) is not { } candidates)
        {
            return In(@namespace).Where(o => LabelSelectors.Matches(selector, labelsOf(o))).ToList();
        }

        return candidates
            .Where(id => @namespace is null || id.Namespace == @namespace)
            .Select(id => (Id: id, Object: _objects[id]))
            .Where(c => LabelSelectors.Matches(selector, labelsOf(c.Object)))
            .OrderBy(c => c.Id)
            .Select(c => c.Object)
            .ToList();
    }

    /// <summary>The objects whose owner key (the archiver they name) is the one given.</summary>
    public IEnumerable<T> OwnedBy(string owner) =>
        _byOwner.TryGetValue(owner, out var ids) ? ids.Select(id => _objects[id]) : [];

    /// <summary>The smallest set the selector's requirements narrow to, or null when none narrows (only NotIn or DoesNotExist).</summary>
    private IReadOnlyCollection<ResourceId>? Candidates(V1LabelSelector selector)
    {
        IReadOnlyCollection<ResourceId>? best = null;
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            Narrow(WithValues(key, [value ?? ""]));
        }

        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            if (requirement.OperatorProperty == "In") Narrow(WithValues(requirement.Key, requirement.Values ?? []));
            else if (requirement.OperatorProperty == "Exists") Narrow(WithValues(requirement.Key, null));
        }

        return best;

        void Narrow(IReadOnlyCollection<ResourceId> set)
        {
            if (best is null || set.Count < best.Count) best = set;
        }
    }

    /// <summary>Objects carrying the key with one of the values (any value when null).</summary>
    private IReadOnlyCollection<ResourceId> WithValues(string key, IEnumerable<string>? values)
    {
        if (!_byLabel.TryGetValue(key, out var byValue)) return [];
        var chosen = values is null
            ? [.. byValue.Values]
            : values.Distinct(StringComparer.Ordinal).Select(v => byValue.TryGetValue(v, out var ids) ? ids : null).OfType<HashSet<ResourceId>>().ToList();
        return chosen.Count == 1 ? chosen[0] : chosen.SelectMany(ids => ids).ToHashSet();
    }

    private void Unindex(ResourceId id, T value)
    {
        Drop(_byNamespace, id.Namespace, id);
        UnindexLabels(id, value);
        if (ownerOf?.Invoke(value) is { } owner) Drop(_byOwner, owner, id);
    }

    private void IndexLabels(ResourceId id, T value)
    {
        foreach (var (key, label) in labelsOf(value) ?? new Dictionary<string, string>())
        {
            if (!_byLabel.TryGetValue(key, out var values)) _byLabel[key] = values = new Dictionary<string, HashSet<ResourceId>>(StringComparer.Ordinal);
            if (!values.TryGetValue(label, out var ids)) values[label] = ids = [];
            ids.Add(id);
        }
    }

    private void UnindexLabels(ResourceId id, T value)
    {
        foreach (var (key, label) in labelsOf(value) ?? new Dictionary<string, string>())
        {
            if (!_byLabel.TryGetValue(key, out var values) || !values.TryGetValue(label, out var ids)) continue;
            ids.Remove(id);
            if (ids.Count == 0) values.Remove(label);
            if (values.Count == 0) _byLabel.Remove(key);
        }
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0)) return false;
        return a is null || b is null || a.All(l => b.TryGetValue(l.Key, out var v) && v == l.Value);
    }

    private static void Add(Dictionary<string, SortedSet<ResourceId>> index, string key, ResourceId id)
    {
        if (!index.TryGetValue(key, out var ids)) index[key] = ids = [];
        ids.Add(id);
    }

    private static void Drop(Dictionary<string, SortedSet<ResourceId>> index, string key, ResourceId id)
    {
        if (index.TryGetValue(key, out var ids) && ids.Remove(id) && ids.Count == 0) index.Remove(key);
    }
}
