using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// The parts of an emulated sharded cluster a router works with: the config server and the shards (each a
/// <see cref="MongoEmulator"/> replica set), the routing table read from the config server, the migration gate and
/// the cluster time the router gossips. The config server's <c>config.*</c> collections are written through its own
/// command path, so they are in its oplog exactly as a config server logs them.
/// </summary>
internal sealed partial class ShardedCluster
{
    private readonly Lock _sync = new();
    private RoutingTable? _routing;
    private BsonTimestamp _clusterTime = new(0);
    private int _nextPrimary;

    public ShardedCluster(ShardedMongoEmulatorOptions options, MongoEmulator config, IReadOnlyList<(string Name, MongoEmulator Set)> shards)
    {
        Options = options;
        Config = config;
        _topology = new Topology(shards.ToDictionary(s => s.Name, s => s.Set, StringComparer.Ordinal), [.. shards.Select(s => s.Name)]);
    }

    public ShardedMongoEmulatorOptions Options { get; }

    public MongoEmulator Config { get; }

    /// <summary>The shards now; replaced whole when one is added, so a reader holds one consistent set.</summary>
    public IReadOnlyDictionary<string, MongoEmulator> Shards => Volatile.Read(ref _topology).Shards;

    public IReadOnlyList<string> ShardNames => Volatile.Read(ref _topology).Names;

    private Topology _topology;

    public RoutingGate Gate { get; } = new();

    public MigrationHold? MigrationHold { get; set; }

    /// <summary>The newest cluster time the router has seen from a client or a shard (its logical clock).</summary>
    public BsonTimestamp ClusterTime
    {
        get
        {
            lock (_sync)
            {
                return _clusterTime;
            }
        }
    }

    public void ObserveClusterTime(BsonTimestamp time)
    {
        lock (_sync)
        {
            if (time.CompareTo(_clusterTime) > 0)
            {
                _clusterTime = time;
            }
        }
    }

    /// <summary>The routing table as the config server holds it now (read again whenever the config server has logged anything since).</summary>
    public RoutingTable Routing()
    {
        var current = _routing;
        OpTime newest;
        lock (Config.State.Sync)
        {
            newest = Config.State.LastApplied;
        }

        if (current is not null && current.ReadAt == newest)
        {
            return current;
        }

        current = RoutingTable.Load(Config.State);
        _routing = current;
        return current;
    }

    /// <summary>
    /// The replica set a router reaches as shard <paramref name="name"/>: at the hosts <c>config.shards</c> names for it.
    /// The emulator reaches its own replica sets only, so a shard whose document names other hosts (a config server
    /// restored from another cluster's volume, whose <c>config.shards</c> still names that cluster's shards) cannot be
    /// reached, as mongos could not reach them either, or, worse, would reach the other cluster's.
    /// </summary>
    public MongoEmulator Shard(string name)
    {
        var set = Shards.GetValueOrDefault(name) ?? throw new CommandError(ErrorCode.ShardNotFound, $"Shard {name} not found");
        if (Routing().Shards.TryGetValue(name, out var host) && !Reaches(host, name, set))
        {
            throw new CommandError(ErrorCode.FailedToSatisfyReadPreference, $"Could not find host matching read preference {{ mode: \"primary\" }} for set {name}: config.shards names it at {host}, which is not a replica set this cluster reaches ({HostString(name, set)})");
        }

        return set;
    }

    /// <summary>
    /// Whether a <c>config.shards</c> host string reaches <paramref name="set"/>: its replica set's name and at least one
    /// of its members (a driver finds the others from that one, as mongos's replica set monitor does).
    /// </summary>
    private static bool Reaches(string host, string name, MongoEmulator set)
    {
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && host[..slash] == name && host[(slash + 1)..].Split(',').Intersect(set.Hosts, StringComparer.Ordinal).Any();
    }

    /// <summary>The <c>replicaSetName/host,host</c> connection string a shard or the config server is known by.</summary>
    public static string HostString(string setName, MongoEmulator set) => $"{setName}/{string.Join(',', set.Hosts)}";

    /// <summary>Writes <c>config.shards</c> and the balancer's <c>config.settings</c> document: what addShard and the first config server start leave.</summary>
    public async Task InitializeAsync(CancellationToken cancellation)
    {
        var time = Config.LastAppliedTimestamp;
        var shards = new BsonArray(ShardNames.Select(name => new BsonDocument
        {
            { "_id", name },
            { "host", HostString(name, Shards[name]) },
            { "state", 1 },
            { "topologyTime", time },
        }));
        await ConfigWriteAsync(new BsonDocument { { "insert", "shards" }, { "documents", shards } }, cancellation).ConfigureAwait(false);
        await ConfigWriteAsync(new BsonDocument
        {
            { "insert", "settings" },
            { "documents", new BsonArray { new BsonDocument { { "_id", "balancer" }, { "mode", "full" }, { "stopped", false } } } },
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// addShard: <paramref name="set"/> joins as shard <paramref name="name"/>, empty. Its <c>config.shards</c> document is
    /// written in a transaction, as addShard writes it from 6.0 (src/mongo/db/s/config/sharding_catalog_manager_shard_operations.cpp,
    /// <c>_addShardInTransaction</c>): the config server logs it inside an <c>applyOps</c>. Routers know the shard once
    /// the document is committed; the balancer may then move chunks to it.
    /// </summary>
    public async Task AddShardAsync(string name, MongoEmulator set, CancellationToken cancellation)
    {
        if (Shards.ContainsKey(name)) throw new CommandError(ErrorCode.IllegalOperation, $"A shard named {name} already exists");
        var shard = new BsonDocument { { "_id", name }, { "host", HostString(name, set) }, { "state", 1 }, { "topologyTime", Config.LastAppliedTimestamp } };
        var session = new BsonDocument("id", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard));
        var insert = await SendAsync(Config, "config", new BsonDocument
        {
            { "insert", "shards" },
            { "documents", new BsonArray { shard } },
            { "lsid", session },
            { "txnNumber", 1L },
            { "startTransaction", true },
            { "autocommit", false },
        }, cancellation).ConfigureAwait(false);
        CheckWritten(insert);

        Check(await SendAsync(Config, "admin", new BsonDocument
        {
            { "commitTransaction", 1 },
            { "lsid", session },
            { "txnNumber", 1L },
            { "autocommit", false },
            { "writeConcern", new BsonDocument("w", "majority") },
        }, cancellation).ConfigureAwait(false), "config server");
        lock (_sync)
        {
            var before = _topology;
            Volatile.Write(ref _topology, new Topology(new Dictionary<string, MongoEmulator>(before.Shards, StringComparer.Ordinal) { [name] = set }, [.. before.Names, name]));
        }
    }

    /// <summary>The shards and their order, published together.</summary>
    private sealed record Topology(IReadOnlyDictionary<string, MongoEmulator> Shards, IReadOnlyList<string> Names);

    /// <summary>A write on the config server's <c>config</c> database; a failure is the command's failure.</summary>
    public async Task<BsonDocument> ConfigWriteAsync(BsonDocument command, CancellationToken cancellation)
    {
        command["writeConcern"] = new BsonDocument("w", "majority");
        // The router gossips its cluster time with the config server as with the shards: catalog writes are ordered
        // with the data writes around them.
        var reply = await SendAsync(Config, "config", command, cancellation).ConfigureAwait(false);
        CheckWritten(reply);
        return reply;
    }

    /// <summary>A config server write's reply: its command error or its first write error is the write's failure.</summary>
    private static void CheckWritten(BsonDocument reply)
    {
        Check(reply, "config server");
        if (reply.GetValue("writeErrors", null) is BsonArray { Count: > 0 } errors)
        {
            var first = errors[0].AsBsonDocument;
            throw new CommandError((ErrorCode)first["code"].ToInt32(), $"config server: {first["errmsg"]}");
        }
    }

    /// <summary>The <c>$clusterTime</c> a router sends and answers with: its cluster time, unsigned (the emulator signs nothing).</summary>
    public BsonDocument ClusterTimeDocument() =>
        new() { { "clusterTime", ClusterTime }, { "signature", new BsonDocument { { "hash", new BsonBinaryData(new byte[20]) }, { "keyId", 0L } } } };

    /// <summary>
    /// Runs <paramref name="command"/> on a replica set of the cluster as a router sends it: with the router's cluster
    /// time, which moves the set's clock past it, and taking back the set's own time from the reply (the reply is
    /// returned without it, as the router answers with its own).
    /// </summary>
    public async Task<BsonDocument> SendAsync(MongoEmulator set, string database, BsonDocument command, CancellationToken cancellation)
    {
        command["$clusterTime"] = ClusterTimeDocument();
        var reply = await set.RunAsync(database, command, cancellation).ConfigureAwait(false);
        if (reply.GetValue("$clusterTime", null) is BsonDocument { } gossip && gossip.GetValue("clusterTime", null) is BsonTimestamp time)
        {
            ObserveClusterTime(time);
        }

        reply.Remove("$clusterTime");
        return reply;
    }

    /// <summary>Throws a shard's or the config server's error reply as the router's own error.</summary>
    public static void Check(BsonDocument reply, string where)
    {
        if (reply.GetValue("ok", 0).ToDouble() != 1.0)
        {
            var labels = reply.GetValue("errorLabels", new BsonArray()).AsBsonArray.Select(l => l.AsString).ToArray();
            throw new CommandError((ErrorCode)reply.GetValue("code", 1).ToInt32(), $"{where}: {reply.GetValue("errmsg", "failed")}", labels);
        }
    }

    /// <summary>
    /// The database's primary shard, made on first use as mongos does: a database is created implicitly by its first
    /// write, on the shard with the fewest databases (ties: the next in turn).
    /// </summary>
    public async Task<string> EnsureDatabaseAsync(string database, CancellationToken cancellation)
    {
        var table = Routing();
        if (table.Primaries.TryGetValue(database, out var primary))
        {
            return primary;
        }

        if (string.IsNullOrEmpty(database) || database.IndexOfAny(['/', '\\', '.', ' ', '"', '$']) >= 0 || database is "local" or "admin" or "config")
        {
            // The router keeps admin and config on the config server; local is each member's own.
            throw new CommandError(ErrorCode.InvalidNamespace, $"Invalid database name for a sharded database: '{database}'");
        }

        var counts = table.Primaries.Values.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        var start = Interlocked.Increment(ref _nextPrimary);
        primary = Enumerable.Range(0, ShardNames.Count)
            .Select(i => ShardNames[(start + i) % ShardNames.Count])
            .OrderBy(name => counts.GetValueOrDefault(name))
            .First();
        await ConfigWriteAsync(new BsonDocument
        {
            { "update", "databases" },
            {
                "updates", new BsonArray
                {
                    new BsonDocument
                    {
                        { "q", new BsonDocument("_id", database) },
                        {
                            "u", new BsonDocument("$setOnInsert", new BsonDocument
                            {
                                { "primary", primary },
                                { "version", new BsonDocument { { "uuid", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard) }, { "timestamp", Config.LastAppliedTimestamp }, { "lastMod", 1 } } },
                            })
                        },
                        { "upsert", true },
                    },
                }
            },
        }, cancellation).ConfigureAwait(false);
        return Routing().Primaries[database];
    }
}
