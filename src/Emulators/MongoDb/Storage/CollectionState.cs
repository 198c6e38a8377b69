using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>
/// One collection: its documents ordered by <c>_id</c> in BSON order (the order of MongoDB's <c>_id</c> index,
/// which find, dbHash and dumps follow), its options, its index specs and its UUID. Each document is kept as its
/// BSON, as a storage engine keeps it, and decoded for whoever reads it: a collection of a million documents is a
/// million byte arrays, not a million trees of objects for the garbage collector to mark and copy (which made a
/// restore into the emulator spend a third of its time in the GC, docs/performance.md). What a reader gets is its
/// own copy, so a write always goes through <see cref="Put"/> or <see cref="TryInsert"/>.
/// </summary>
internal sealed class CollectionState
{
    private readonly SortedSet<StoredDocument> _documents = new(StoredDocument.ByIdOrder);

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
        // Stored bytes are never changed in place: a snapshot shares them.
        foreach (var document in source._documents)
        {
            _documents.Add(document);
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

    public IEnumerable<BsonDocument> Documents => _documents.Select(d => d.Decode());

    /// <summary>The stored size of every document: what <c>dbStats</c> and <c>collStats</c> add up.</summary>
    public long DataSize => _documents.Sum(d => (long)d.Bson.Length);

    public static BsonDocument IdIndexSpec() => new() { { "v", 2 }, { "key", new BsonDocument("_id", 1) }, { "name", "_id_" } };

    public CollectionState Clone() => new(this);

    public BsonDocument? Find(BsonValue id) => _documents.TryGetValue(Probe(id), out var doc) ? doc.Decode() : null;

    public bool TryInsert(BsonDocument document) => _documents.Add(StoredDocument.Of(document));

    /// <summary>Stores <paramref name="document"/> whether or not one with its <c>_id</c> exists.</summary>
    public void Put(BsonDocument document)
    {
        var stored = StoredDocument.Of(document);
        _documents.Remove(stored);
        _documents.Add(stored);
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
        return StoredDocument.ByIdOrder.Compare(low, high) > 0 ? [] : _documents.GetViewBetween(low, high).Select(d => d.Decode());
    }

    private static StoredDocument Probe(BsonValue id) => StoredDocument.ProbeFor(id);

    public BsonDocument ListCollectionsEntry() => new()
    {
        { "name", Name },
        { "type", "collection" },
        { "options", BsonIdentity.Copy(Options) },
        { "info", new BsonDocument { { "readOnly", false }, { "uuid", UuidValue } } },
        { "idIndex", IdIndexSpec() },
    };
}
