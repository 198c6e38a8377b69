using System.Net;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// A MongoDB sharded cluster emulated in memory for tests and demos: a config server replica set, N shard replica sets
/// (each a <see cref="MongoEmulator"/>) and a <c>mongos</c> router on the wire protocol. The config server keeps
/// <c>config.shards</c>, <c>config.databases</c>, <c>config.collections</c>, <c>config.chunks</c> and
/// <c>config.settings</c> as MongoDB keeps them; collections are sharded on range or hashed keys; the balancer moves
/// chunks (documents logged with <c>fromMigrate</c> in both shards' oplogs); transactions on several shards commit in
/// two phases with one commit timestamp; every replica set's clock follows the gossiped cluster time, so timestamps
/// compare across shards. Not a database: see docs/emulators.md for what it does and does not do.
/// </summary>
public sealed class ShardedMongoEmulator : IAsyncDisposable
{
    private readonly ShardedCluster _cluster;
    private readonly RouterServer _router;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _balancer;

    private ShardedMongoEmulator(ShardedCluster cluster, RouterServer router)
    {
        _cluster = cluster;
        _router = router;
        _balancer = cluster.Options.BalancerInterval is { } interval ? RunBalancerAsync(interval) : Task.CompletedTask;
    }

    /// <summary><c>mongodb://127.0.0.1:port</c>: the router.</summary>
    public string ConnectionString => $"mongodb://127.0.0.1:{_router.EndPoint.Port}";

    /// <summary>The router's port.</summary>
    public int Port => _router.EndPoint.Port;

    /// <summary>The config server replica set.</summary>
    public MongoEmulator ConfigServer => _cluster.Config;

    /// <summary>The shards' names (<c>config.shards._id</c>), in order.</summary>
    public IReadOnlyList<string> ShardNames => _cluster.ShardNames;

    /// <summary>A shard's replica set, by name.</summary>
    public MongoEmulator Shard(string name) => _cluster.Shard(name);

    /// <summary>Every shard's replica set, in <see cref="ShardNames"/> order.</summary>
    public IReadOnlyList<MongoEmulator> Shards => _cluster.ShardNames.Select(n => _cluster.Shards[n]).ToList();

    public static async Task<ShardedMongoEmulator> StartAsync(ShardedMongoEmulatorOptions? options = null)
    {
        options ??= new ShardedMongoEmulatorOptions();
        if (options.Shards is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Shards must be between 1 and 16");
        }

        var started = new List<MongoEmulator>();
        try
        {
            var config = await MongoEmulator.StartAsync(SetOptions(options, options.ConfigServerName, options.ConfigServerMembers)).ConfigureAwait(false);
            started.Add(config);
            var shards = new List<(string, MongoEmulator)>();
            for (var i = 0; i < options.Shards; i++)
            {
                var name = $"{options.ShardNamePrefix}{i}";
                var shard = await MongoEmulator.StartAsync(SetOptions(options, name, options.MembersPerShard)).ConfigureAwait(false);
                started.Add(shard);
                shards.Add((name, shard));
            }

            var cluster = new ShardedCluster(options, config, shards);
            await cluster.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
            var router = new RouterServer(new Router(cluster), new IPEndPoint(IPAddress.Loopback, options.Port));
            return new ShardedMongoEmulator(cluster, router);
        }
        catch
        {
            foreach (var set in started)
            {
                await set.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Adds a shard, as <c>addShard</c> with a new replica set: started empty, named after the next number
    /// (<c>shard{N}</c>), registered in <c>config.shards</c>. Returns its name.
    /// </summary>
    public async Task<string> AddShardAsync(CancellationToken cancellation = default)
    {
        var name = $"{_cluster.Options.ShardNamePrefix}{_cluster.ShardNames.Count}";
        var set = await MongoEmulator.StartAsync(SetOptions(_cluster.Options, name, _cluster.Options.MembersPerShard)).ConfigureAwait(false);
        try
        {
            await _cluster.AddShardAsync(name, set, cancellation).ConfigureAwait(false);
            return name;
        }
        catch
        {
            await set.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Moves the chunk holding <paramref name="shardKey"/> (a document naming every shard-key field) of <paramref name="ns"/> to <paramref name="toShard"/>, as <c>moveChunk</c> does.</summary>
    public Task MoveChunkAsync(string ns, BsonDocument shardKey, string toShard, CancellationToken cancellation = default)
    {
        var info = _cluster.Routing().Collections.GetValueOrDefault(ns) ?? throw new InvalidOperationException($"{ns} is not sharded");
        var key = info.Key.KeyOfQuery(shardKey) ?? throw new ArgumentException($"{shardKey} does not name the whole shard key {info.Key.Pattern}", nameof(shardKey));
        return _cluster.MoveChunkAsync(ns, key, toShard, cancellation);
    }

    /// <summary>Runs one balancer round now (nothing while the balancer is stopped); returns how many chunks moved.</summary>
    public Task<int> BalanceAsync(CancellationToken cancellation = default) => _cluster.BalanceAsync(cancellation);

    /// <summary>Whether the balancer is stopped (<c>balancerStop</c>, <c>sh.stopBalancer()</c>).</summary>
    public bool BalancerStopped => _cluster.BalancerStopped();

    /// <summary>How many chunks of <paramref name="ns"/> each shard owns now.</summary>
    public IReadOnlyDictionary<string, int> ChunkCounts(string ns)
    {
        var info = _cluster.Routing().Collections.GetValueOrDefault(ns);
        return _cluster.ShardNames.ToDictionary(n => n, n => info?.Chunks.Count(c => c.Shard == n) ?? 0, StringComparer.Ordinal);
    }

    /// <summary>Stops every migration after its clone until the hold is disposed (see <see cref="MigrationHold"/>).</summary>
    public MigrationHold HoldMigrations()
    {
        var hold = new MigrationHold();
        _cluster.MigrationHold = hold;
        return hold;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _cluster.MigrationHold?.Dispose();
        try
        {
            await _balancer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        await _router.DisposeAsync().ConfigureAwait(false);
        foreach (var shard in Shards)
        {
            await shard.DisposeAsync().ConfigureAwait(false);
        }

        await _cluster.Config.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private static MongoEmulatorOptions SetOptions(ShardedMongoEmulatorOptions options, string name, int members) => new()
    {
        ReplicaSetName = name,
        Members = members,
        PeriodicNoopInterval = options.PeriodicNoopInterval,
        OplogSizeBytes = options.OplogSizeBytes,
        Time = options.Time,
    };

    private async Task RunBalancerAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            await _cluster.BalanceAsync(_stop.Token).ConfigureAwait(false);
        }
    }
}
