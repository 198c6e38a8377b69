using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>
/// The in-memory data of the replica set: databases, each a map of collections. Not thread-safe; the
/// replica-set state serialises access with its lock.
/// </summary>
internal sealed class StorageEngine
{
    private readonly SortedDictionary<string, SortedDictionary<string, CollectionState>> _databases = new(StringComparer.Ordinal);

    public IEnumerable<string> DatabaseNames => _databases.Keys;

    public IEnumerable<CollectionState> Collections(string database) =>
        _databases.TryGetValue(database, out var collections) ? collections.Values : [];

    public CollectionState? Find(string database, string collection) =>
        _databases.TryGetValue(database, out var collections) && collections.TryGetValue(collection, out var state) ? state : null;

    public CollectionState? FindByUuid(Guid uuid) =>
        _databases.Values.SelectMany(c => c.Values).FirstOrDefault(c => c.Uuid == uuid);

    public CollectionState Add(string database, string collection, BsonDocument options, Guid? uuid = null)
    {
        if (!_databases.TryGetValue(database, out var collections))
        {
            collections = new SortedDictionary<string, CollectionState>(StringComparer.Ordinal);
            _databases.Add(database, collections);
        }

        var state = new CollectionState(database, collection, uuid ?? Guid.NewGuid(), options);
        collections.Add(collection, state);
        return state;
    }

    public bool Remove(string database, string collection)
    {
        if (!_databases.TryGetValue(database, out var collections) || !collections.Remove(collection))
        {
            return false;
        }

        if (collections.Count == 0)
        {
            _databases.Remove(database);
        }

        return true;
    }

    public void Rename(CollectionState state, string newName)
    {
        var collections = _databases[state.Database];
        collections.Remove(state.Name);
        state.Name = newName;
        collections.Add(newName, state);
    }

    public StorageEngine Clone()
    {
        var copy = new StorageEngine();
        foreach (var (name, collections) in _databases)
        {
            var target = new SortedDictionary<string, CollectionState>(StringComparer.Ordinal);
            foreach (var (collName, state) in collections)
            {
                target.Add(collName, state.Clone());
            }

            copy._databases.Add(name, target);
        }

        return copy;
    }

    /// <summary>A deep copy of user data (every database but <c>local</c>) for the capture hook.</summary>
    public Dictionary<string, Dictionary<string, IReadOnlyList<BsonDocument>>> Export()
    {
        var result = new Dictionary<string, Dictionary<string, IReadOnlyList<BsonDocument>>>(StringComparer.Ordinal);
        foreach (var (name, collections) in _databases)
        {
            if (name == "local")
            {
                continue;
            }

            result[name] = collections.ToDictionary(
                c => c.Key,
                // Each document is decoded afresh from its stored BSON: already the caller's own.
                c => (IReadOnlyList<BsonDocument>)c.Value.Documents.ToList(),
                StringComparer.Ordinal);
        }

        return result;
    }
}
