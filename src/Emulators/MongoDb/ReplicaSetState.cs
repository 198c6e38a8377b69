using Archiver.Emulators.MongoDb.Auth;
using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Durability;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Query;
using Archiver.Emulators.MongoDb.Replication;
using Archiver.Emulators.MongoDb.Storage;
using Archiver.Emulators.MongoDb.Transactions;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// What the members of the emulated replica set share: data, oplog, term, who is primary and the majority
/// commit point. One lock (<see cref="Sync"/>) serialises every read and write, which keeps the emulator simple
/// and makes each command atomic; nothing awaits while holding it.
/// </summary>
internal sealed partial class ReplicaSetState
{
    private OpTime? _heldMajority;
    private StorageEngine? _majoritySnapshot;
    private OpTime _lastNoopTick;

    /// <param name="recovered">The data directory to start from (its checkpoint, then its journal replayed); null: a new, empty set.</param>
    public ReplicaSetState(MongoEmulatorOptions options, RecoveredImage? recovered = null)
    {
        Options = options;
        Clock = new OpTimeClock(options.Time);
        Oplog = new OplogCollection(options.OplogSizeBytes);
        Users = new UserDirectory(options.Users, (database, user) =>
        {
            lock (Sync)
            {
                return AuthzCatalog.User(this, database, user)?.DeepClone().AsBsonDocument;
            }
        });
        MemberUp = new bool[options.Members];
        Members = Enumerable.Range(0, options.Members).Select(i => new MemberState(i)).ToArray();
        lock (Sync)
        {
            if (recovered is null)
            {
                Append("n", string.Empty, null, new BsonDocument("msg", "initiating set"), null);
            }
            else
            {
                Recover(recovered);
            }
        }
    }

    public object Sync { get; } = new();

    /// <summary>The fault hook that holds commands of one name before they run (<see cref="MongoEmulator.HoldCommands"/>).</summary>
    public CommandHold? CommandHold { get; set; }

    public MongoEmulatorOptions Options { get; }

    public StorageEngine Storage { get; private set; } = new();

    public OplogCollection Oplog { get; }

    public OpTimeClock Clock { get; }

    public OplogSignal Appended { get; } = new();

    public SessionRegistry Sessions { get; } = new();

    public CursorRegistry Cursors { get; } = new();

    public long Term { get; private set; } = 1;

    /// <summary>Index of the primary member, or -1 while there is none.</summary>
    public int PrimaryIndex { get; private set; }

    public IReadOnlyList<string> Hosts { get; set; } = [];

    /// <summary>The users clients must authenticate as (none: no authentication).</summary>
    public UserDirectory Users { get; }

    /// <summary>Which members are serving (a stopped member is "not reachable" in replSetGetStatus). Under <see cref="Sync"/>.</summary>
    public bool[] MemberUp { get; }

    /// <summary>Each member's fsync lock, the optime and data it stopped at while locked, and its data directory.</summary>
    public MemberState[] Members { get; }

    /// <summary>Counted by the members' TLS handshakes (Interlocked): a test hook, read through <see cref="MongoEmulator.TlsHandshakesFailed"/>.</summary>
    public long TlsHandshakesFailed;

    /// <summary>How long each command of a name waits before it runs (<see cref="MongoEmulator.SlowDown"/>).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, TimeSpan> CommandDelays { get; } = new(StringComparer.Ordinal);

    public OpTime LastApplied { get; private set; }

    public bool IsPrimary(int member) => PrimaryIndex == member;

    /// <summary>Appends one entry at the next optime. Caller holds <see cref="Sync"/>.</summary>
    public OpTime Append(string op, string ns, Guid? ui, BsonDocument o, BsonDocument? o2, RetryableWrite? retry = null, bool fromMigrate = false)
    {
        if (ns.StartsWith("local.", StringComparison.Ordinal))
        {
            // The local database is not replicated: its writes are never logged (only journaled, to be durable).
            if (_durable)
            {
                JournalUnlogged(op, ns, ui, o, o2);
            }

            return LastApplied;
        }

        var (ts, wall) = Clock.Next();
        var at = new OpTime(ts, Term, wall);
        int? stmtId = retry is null ? null : retry.NextStmtId++;
        var document = OplogEntryBuilder.Build(op, ns, ui, o, o2, at, retry, stmtId, fromMigrate);
        if (retry is not null)
        {
            retry.Previous = at;
        }

        Store(at, document);
        return at;
    }

    /// <summary>Appends one applyOps entry of a transaction, chained to the session's previous one.</summary>
    public OpTime AppendTransactionEntry(RetryableWrite session, BsonDocument o)
    {
        var (ts, wall) = Clock.Next();
        var at = new OpTime(ts, Term, wall);
        var document = OplogEntryBuilder.Build("c", "admin.$cmd", null, o, null, at, session);
        session.Previous = at;
        Store(at, document);
        return at;
    }

    /// <summary>Creates a collection and logs its <c>create</c> entry. Caller holds <see cref="Sync"/>.</summary>
    public CollectionState CreateCollection(string database, string name, BsonDocument options, Guid? uuid = null)
    {
        var collection = Storage.Add(database, name, options, uuid);
        var o = new BsonDocument("create", name);
        o.AddRange(options);
        if (!options.Contains("clusteredIndex"))
        {
            // A clustered collection (time-series buckets) has no _id index of its own, so MongoDB logs none.
            o.Add("idIndex", CollectionState.IdIndexSpec());
        }

        Append("c", $"{database}.$cmd", collection.Uuid, o, null);
        return collection;
    }

    /// <summary>Drops a collection and logs <c>{drop}</c> with <c>o2.numRecords</c>. Caller holds <see cref="Sync"/>.</summary>
    public void DropCollection(CollectionState collection)
    {
        Storage.Remove(collection.Database, collection.Name);
        Append("c", $"{collection.Database}.$cmd", collection.Uuid, new BsonDocument("drop", collection.Name), new BsonDocument("numRecords", collection.Count));
    }

    /// <summary>Drops each collection (one entry each) and then logs <c>{dropDatabase:1}</c>, as MongoDB 4.2+ does.</summary>
    public bool DropDatabase(string database)
    {
        var collections = Storage.Collections(database).ToList();
        if (collections.Count == 0)
        {
            return false;
        }

        foreach (var collection in collections)
        {
            DropCollection(collection);
        }

        Append("c", $"{database}.$cmd", null, new BsonDocument("dropDatabase", 1), null);
        return true;
    }

    /// <summary>
    /// Writes the periodic no-op when nothing was written since the last tick, as noop_writer.cpp does on a
    /// primary only.
    /// </summary>
    public void PeriodicNoopTick()
    {
        lock (Sync)
        {
            // A locked primary's no-op writer waits for the global lock like any writer: no tick gets through.
            if (PrimaryIndex >= 0 && LastApplied == _lastNoopTick && Members[PrimaryIndex].FrozenAt is null)
            {
                Append("n", string.Empty, null, new BsonDocument("msg", "periodic noop"), null);
            }

            _lastNoopTick = LastApplied;
        }
    }

    private void Store(OpTime at, BsonDocument document)
    {
        var bson = BsonEncoder.Encode(document);
        Oplog.Append(new OplogEntry(at.Ts.Value, bson));
        LastApplied = at;
        if (_durable)
        {
            Journal(RecordKind.OplogEntry, bson);
        }

        Oplog.Truncate(MajorityCommitted.Ts.Value);
        Appended.Fire();
    }

    /// <summary>
    /// Matches documents of one collection. A filter with a plain <c>_id</c> value is a lookup, not a scan, so
    /// per-document updates and deletes stay cheap on big collections (as the _id index makes them in MongoDB).
    /// </summary>
    public static IEnumerable<BsonDocument> Scan(CollectionState? collection, BsonDocument? filter)
    {
        if (collection is null)
        {
            return [];
        }

        if (filter is not null && filter.TryGetValue("_id", out var id) && id is not BsonDocument and not BsonArray and not BsonRegularExpression)
        {
            return collection.Find(id) is { } document && FilterMatcher.Matches(document, filter) ? [document] : [];
        }

        if (filter is not null && filter.TryGetValue("_id", out var range) && range is BsonDocument bounds && bounds.ElementCount > 0
            && bounds.Names.All(n => n is "$gt" or "$gte" or "$lt" or "$lte"))
        {
            // Range operators bracket by type, so the seek can stop at the bounds; the filter still decides.
            var lower = bounds.GetValue("$gte", null) ?? bounds.GetValue("$gt", null);
            var upper = bounds.GetValue("$lte", null) ?? bounds.GetValue("$lt", null);
            return collection.Range(lower, upper).Where(d => FilterMatcher.Matches(d, filter));
        }

        return collection.Documents.Where(d => FilterMatcher.Matches(d, filter));
    }
}
