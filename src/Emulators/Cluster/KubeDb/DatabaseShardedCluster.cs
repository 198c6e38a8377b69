using System.Net;
using Archiver.Emulators.Cluster.Kubelet;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Sharding;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// One KubeDB sharded MongoDB: its config server and each shard a <see cref="DatabaseReplicaSet"/> whose members are
/// the pods of <c>{db}-configsvr</c> and <c>{db}-shard{n}</c>, and a router (<see cref="RouterServer"/>) at each pod
/// of <c>{db}-mongos</c> while its <c>mongodb</c> container runs. The routers share one <see cref="ShardedCluster"/>,
/// made once the config server and every shard have a primary, as a real mongos starts only once it reaches the config
/// server's primary and KubeDB's mongos bootstrap adds each shard (<c>sh.addShard</c> with the shard's DSN), so
/// <c>config.shards</c> names each shard <c>shard{n}</c> at KubeDB's host names. Each router keeps its own cursors and
/// transactions, as each mongos does. No balancer runs (chunks move only when a client asks: <c>moveChunk</c>).
/// </summary>
internal sealed class DatabaseShardedCluster : IAsyncDisposable
{
    private readonly SemaphoreSlim _building = new(1, 1);
    private readonly Lock _sync = new();
    private readonly Dictionary<int, MongosRun> _routers = [];
    private readonly StandInLog _log;
    private ShardedCluster? _cluster;

    public DatabaseShardedCluster(string ns, string name, DatabaseReplicaSet configServer, IReadOnlyList<DatabaseReplicaSet> shards, string mongosWorkload, int mongos, StandInLog log)
    {
        Namespace = ns;
        Name = name;
        ConfigServer = configServer;
        Shards = shards;
        MongosWorkload = mongosWorkload;
        Mongos = mongos;
        _log = log;
    }

    public string Namespace { get; }

    public string Name { get; }

    public DatabaseReplicaSet ConfigServer { get; }

    public IReadOnlyList<DatabaseReplicaSet> Shards { get; }

    /// <summary>The config server and the shards: every replica set whose pods are members.</summary>
    public IEnumerable<DatabaseReplicaSet> Sets => [ConfigServer, .. Shards];

    public string MongosWorkload { get; }

    /// <summary>How many routers the database has (<c>shardTopology.mongos.replicas</c>).</summary>
    public int Mongos { get; }

    /// <summary>The replica set whose members are the pods of <paramref name="workload"/>, or null.</summary>
    public DatabaseReplicaSet? Set(string workload) => Sets.FirstOrDefault(s => s.Workload == workload);

    /// <summary>
    /// The router <paramref name="ordinal"/> starts serving at <paramref name="address"/>:27017, as its pod's mongos;
    /// until the config server and every shard have a primary it cannot start (mongos fails to reach its config server),
    /// and the kubelet tries again.
    /// </summary>
    public async Task<IContainerRun> StartMongosAsync(int ordinal, IPAddress address)
    {
        var cluster = await ClusterAsync().ConfigureAwait(false)
            ?? throw new ContainerConfigException("CreateContainerError", $"mongos of {Namespace}/{Name} waits for its config server and every shard to have a primary");
        var run = new MongosRun(this, ordinal, address, new RouterServer(new Router(cluster), new IPEndPoint(address, 27017)));
        lock (_sync)
        {
            _routers[ordinal] = run;
        }

        _log.Write($"kubedb: {Namespace}/{MongosWorkload}: router {ordinal} up at {address}:27017");
        return run;
    }

    public async ValueTask DisposeAsync()
    {
        List<MongosRun> runs;
        lock (_sync)
        {
            runs = [.. _routers.Values];
        }

        foreach (var run in runs) await run.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        foreach (var set in Sets) await set.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The cluster the routers share: made (and its <c>config.shards</c> written) once every replica set has a primary; null before.</summary>
    private async Task<ShardedCluster?> ClusterAsync()
    {
        if (Volatile.Read(ref _cluster) is { } made) return made;
        await _building.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_cluster is { } again) return again;
            if (ConfigServer.Emulator is not { PrimaryIndex: >= 0 } config || Shards.Any(s => s.Emulator is not { PrimaryIndex: >= 0 })) return null;
            var cluster = new ShardedCluster(new ShardedMongoEmulatorOptions
            {
                Shards = Shards.Count,
                MembersPerShard = Shards[0].Members,
                ConfigServerMembers = ConfigServer.Members,
                ConfigServerName = ConfigServer.ReplicaSetName,
                BalancerInterval = null,
            }, config, [.. Shards.Select(s => (s.ReplicaSetName, s.Emulator!))]);
            try
            {
                await cluster.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (CommandError e) when (e.Code == ErrorCode.DuplicateKey)
            {
                // A config server that already holds config.shards (its data kept from before): the shards were added then.
            }

            Volatile.Write(ref _cluster, cluster);
            _log.Write($"kubedb: {Namespace}/{Name}: sharded cluster of {Shards.Count} shards, config server {ConfigServer.ReplicaSetName}");
            return cluster;
        }
        finally
        {
            _building.Release();
        }
    }

    private void Stopped(MongosRun run)
    {
        lock (_sync)
        {
            if (_routers.GetValueOrDefault(run.Ordinal) == run) _routers.Remove(run.Ordinal);
        }
    }

    /// <summary>A <c>mongodb</c> container of a mongos pod: the router serving, until the kubelet stops it.</summary>
    private sealed class MongosRun(DatabaseShardedCluster owner, int ordinal, IPAddress address, RouterServer server) : IContainerRun
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _stopped;

        public int Ordinal { get; } = ordinal;

        public Task<int> Exited => _exited.Task;

        public string Id => $"standin://mongos/{owner.Namespace}/{owner.MongosWorkload}/{Ordinal}";

        public async Task StopAsync(TimeSpan grace)
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                owner.Stopped(this);
                owner._log.Write($"kubedb: {owner.Namespace}/{owner.MongosWorkload}: router {Ordinal} down");
            }

            // mongos exits 0 on SIGTERM; SIGKILL is 137.
            _exited.TrySetResult(grace > TimeSpan.Zero ? 0 : 137);
        }

        public Task KillAsync() => StopAsync(TimeSpan.Zero);

        public async Task<(int ExitCode, string Output)?> ExecAsync(IReadOnlyList<string> command, TimeSpan timeout)
        {
            if (!Probe.IsMongoPing(command)) return null;
            return await MongoWire.PingAsync(new IPEndPoint(address, 27017), timeout).ConfigureAwait(false) ? (0, "1\n") : (1, "MongoNetworkError: connect ECONNREFUSED\n");
        }
    }
}
