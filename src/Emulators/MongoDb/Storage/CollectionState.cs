using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>
/// One collection: its documents ordered by <c>_id</c> in BSON order (the order of MongoDB's <c>_id</c> index,
/// which find, dbHash and dumps follow), its options, its index specs and its UUID.
/// </summary>
internal sealed class CollectionState
{
    private readonly SortedSet<BsonDocument> _documents = new(IdOrder.Instance);

    public CollectionState(string database, string name, Guid uuid, BsonDocument options)
    {
        Database = database;
        Name = name;
        Uuid = uuid;
        Options = options;
        Indexes = [IdIndexSpec()];
    }

    private CollectionState(CollectionState source)
        : this(source.Database, source.Name, source.Uuid, BsonIdentity.Copy(source.Options))
    {
        foreach (var document in source._documents)
        {
            _documents.Add(BsonIdentity.Copy(document));
        }

        Indexes = source.Indexes.Select(BsonIdentity.Copy).ToList();
    }

    public string Database { get; }

    public string Name
    {
        get;
        set
        {
            field = value;
            Namespace = $"{Database}.{value}";
        }
    }

    /// <summary>Kept with <see cref="Name"/>: every logged write names it.</summary>
    public string Namespace { get; private set; } = string.Empty;

    public Guid Uuid { get; }

    public BsonBinaryData UuidValue => new(Uuid, GuidRepresentation.Standard);

    public BsonDocument Options { get; }

    public List<BsonDocument> Indexes { get; private set; }

    public int Count => _documents.Count;

    public IEnumerable<BsonDocument> Documents => _documents;

    public static BsonDocument IdIndexSpec() => new() { { "v", 2 }, { "key", new BsonDocument("_id", 1) }, { "name", "_id_" } };

    public CollectionState Clone() => new(this);

    public BsonDocument? Find(BsonValue id) => _documents.TryGetValue(Probe(id), out var doc) ? doc : null;

    public bool TryInsert(BsonDocument document) => _documents.Add(document);

    /// <summary>Stores <paramref name="document"/> whether or not one with its <c>_id</c> exists.</summary>
    public void Put(BsonDocument document)
    {
        _documents.Remove(document);
        _documents.Add(document);
    }

    public bool Remove(BsonValue id) => _documents.Remove(Probe(id));

    /// <summary>
    /// Documents whose <c>_id</c> lies between the bounds (inclusive; null = open), found by seeking as the
    /// <c>_id</c> index does, so paging a dump by <c>_id</c> ranges does not rescan the collection.
    /// </summary>
    public IEnumerable<BsonDocument> Range(BsonValue? lower, BsonValue? upper)
    {
        var low = Probe(lower ?? BsonMinKey.Value);
        var high = Probe(upper ?? BsonMaxKey.Value);
        return IdOrder.Instance.Compare(low, high) > 0 ? [] : _documents.GetViewBetween(low, high);
    }

    private static BsonDocument Probe(BsonValue id) => CompactDocument.IdOf(id);

    public BsonDocument ListCollectionsEntry() => new()
    {
        { "name", Name },
        { "type", "collection" },
        { "options", BsonIdentity.Copy(Options) },
        { "info", new BsonDocument { { "readOnly", false }, { "uuid", UuidValue } } },
        { "idIndex", IdIndexSpec() },
    };
}
