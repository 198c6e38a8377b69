using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>
/// One collection: its documents ordered by <c>_id</c> in BSON order (the order of MongoDB's <c>_id</c> index,
/// which find, dbHash and dumps follow), its options, its index specs and its UUID.
/// </summary>
internal sealed class CollectionState
{
    private readonly SortedDictionary<BsonValue, BsonDocument> _documents;

    public CollectionState(string database, string name, Guid uuid, BsonDocument options)
    {
        Database = database;
        Name = name;
        Uuid = uuid;
        Options = options;
        _documents = new SortedDictionary<BsonValue, BsonDocument>(BsonOrder.Instance);
        Indexes = [IdIndexSpec()];
    }

    private CollectionState(CollectionState source)
        : this(source.Database, source.Name, source.Uuid, BsonIdentity.Copy(source.Options))
    {
        foreach (var pair in source._documents)
        {
            _documents.Add(pair.Key, BsonIdentity.Copy(pair.Value));
        }

        Indexes = source.Indexes.Select(BsonIdentity.Copy).ToList();
    }

    public string Database { get; }

    public string Name { get; set; }

    public string Namespace => $"{Database}.{Name}";

    public Guid Uuid { get; }

    public BsonBinaryData UuidValue => new(Uuid, GuidRepresentation.Standard);

    public BsonDocument Options { get; }

    public List<BsonDocument> Indexes { get; private set; }

    public int Count => _documents.Count;

    public IEnumerable<BsonDocument> Documents => _documents.Values;

    public static BsonDocument IdIndexSpec() => new() { { "v", 2 }, { "key", new BsonDocument("_id", 1) }, { "name", "_id_" } };

    public CollectionState Clone() => new(this);

    public BsonDocument? Find(BsonValue id) => _documents.TryGetValue(id, out var doc) ? doc : null;

    public bool TryInsert(BsonDocument document) => _documents.TryAdd(document["_id"], document);

    /// <summary>Stores <paramref name="document"/> whether or not one with its <c>_id</c> exists.</summary>
    public void Put(BsonDocument document) => _documents[document["_id"]] = document;

    public bool Remove(BsonValue id) => _documents.Remove(id);

    public BsonDocument ListCollectionsEntry() => new()
    {
        { "name", Name },
        { "type", "collection" },
        { "options", BsonIdentity.Copy(Options) },
        { "info", new BsonDocument { { "readOnly", false }, { "uuid", UuidValue } } },
        { "idIndex", IdIndexSpec() },
    };
}
