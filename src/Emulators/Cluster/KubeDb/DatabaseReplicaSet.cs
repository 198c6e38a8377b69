using System.Net;
using Archiver.Emulators.Cluster.Kubelet;
using Archiver.Emulators.MongoDb;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// One replica set of a KubeDB MongoDB (the database's own, or a sharded database's shard or config server): a
/// <see cref="MongoEmulator"/> whose members are the pods of one workload. Each member is named as KubeDB adds it to the
/// set (<c>{workload}-{i}.{workload}-pods.{ns}.svc:27017</c>, apimachinery MongoDB.Hosts, ShardHosts, ConfigSvrDSN) and
/// listens at its pod's address while its <c>mongodb</c> container runs; members share one data set (the emulator
/// replicates nothing: see docs/emulators.md). Each member keeps its data in the folder its pod mounts at its dbPath
/// (KubeDB's <c>datadir</c> claim, <c>datadir-{db}-{i}</c>, at <c>/data/db</c>): a checkpoint and a journal
/// (MongoEmulatorOptions.DataDirectories), so a CSI snapshot of that claim copies that member's data, and a claim
/// restored from such a snapshot brings it back. The emulator starts with the first member that comes up, from what its
/// folder holds (nothing for a new database; a snapshot's copy for a restored one); a member that comes up later joins
/// the running set, its folder written afresh, as a mongod joining by initial sync. The set is initiated by that first
/// member (KubeDB's first pod runs <c>rs.initiate</c>, later ones join); each member that has joined votes. A primary
/// stopped gracefully (its pod deleted: SIGTERM) steps down first, as mongod's shutdown does, and the others elect a
/// new primary at once; a primary that vanishes (SIGKILL) is replaced after <c>electionTimeout</c> (MongoDB's
/// <c>electionTimeoutMillis</c>, 10 s by default). The new primary is the lowest ordinal up, if a majority of the voters
/// is up; without a majority the primary steps down. A member that comes back rejoins as a secondary, as a restarted
/// mongod always does.
/// </summary>
internal sealed class DatabaseReplicaSet : IAsyncDisposable
{
    /// <summary>What mongod exits with when its startup fails on an error it does not handle (EXIT_UNCAUGHT, mongo's src/mongo/util/exit_code.h).</summary>
    private const int StartupFailure = 100;

    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly HashSet<int> _voters = [];
    private readonly Dictionary<int, MemberRun> _runs = [];
    private readonly string _replicaSet;
    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly TimeSpan _electionTimeout;
    private readonly StandInLog _log;
    private readonly CancellationTokenSource _stop = new();
    private MongoEmulator? _emulator;
    private bool _initiated;
    private Task? _election;

    private DatabaseReplicaSet(string ns, string name, string workload, string replicaSet, int members, IReadOnlyDictionary<string, string> users, TimeSpan electionTimeout, StandInLog log)
    {
        Namespace = ns;
        Name = name;
        Workload = workload;
        Members = members;
        _replicaSet = replicaSet;
        _users = users;
        _electionTimeout = electionTimeout;
        _log = log;
    }

    /// <summary>Fires after a member came or went, or a primary was elected.</summary>
    public event Action? Changed;

    /// <summary>The replica set's emulator, once its first member has come up; null before.</summary>
    public MongoEmulator? Emulator => Volatile.Read(ref _emulator);

    public string Namespace { get; }

    /// <summary>The MongoDB's name.</summary>
    public string Name { get; }

    /// <summary>The StatefulSet or PetSet whose pods are the members (<c>{db}</c> for a replica set, <c>{db}-shard0</c>, <c>{db}-configsvr</c>).</summary>
    public string Workload { get; }

    /// <summary>The replica set's name inside MongoDB (<c>spec.replicaSet.name</c>, <c>shard0</c>, <c>cnfRepSet</c>).</summary>
    public string ReplicaSetName => _replicaSet;

    public int Members { get; }

    /// <summary>The set of a MongoDB, not serving until its first member starts (<see cref="StartAsync(int, IPAddress, string?)"/>).</summary>
    public static DatabaseReplicaSet Create(string ns, string name, string workload, string replicaSet, int members, IReadOnlyDictionary<string, string> users, TimeSpan electionTimeout, StandInLog log) =>
        new(ns, name, workload, replicaSet, members, users, electionTimeout, log);

    /// <summary>
    /// The member <paramref name="ordinal"/> starts serving at <paramref name="address"/>:27017, as its pod's mongod,
    /// keeping its data in <paramref name="dataDirectory"/> (the folder its pod mounts at its dbPath; null: in memory).
    /// A first member whose folder cannot be started from (a torn copy) exits at once, as mongod does, saying why.
    /// </summary>
    public async Task<IContainerRun> StartAsync(int ordinal, IPAddress address, string? dataDirectory)
    {
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_emulator is null)
            {
                try
                {
                    Volatile.Write(ref _emulator, await StartEmulatorAsync(ordinal, dataDirectory).ConfigureAwait(false));
                }
                catch (MongoDataDirectoryException e)
                {
                    _log.Write($"kubedb: {Namespace}/{Workload}: member {ordinal} cannot start from its data directory: {e.Message}");
                    return new FailedRun($"standin://mongodb/{Namespace}/{Workload}/{ordinal}", StartupFailure);
                }

                if (dataDirectory is not null)
                {
                    _log.Write($"kubedb: {Namespace}/{Workload}: data of member {ordinal} in {dataDirectory}, at {_emulator!.LastAppliedTimestamp}");
                }

                // Not initiated until its first member runs: no primary.
                _emulator!.StepDown();
                return Start(ordinal, address, dataDirectory: null);
            }

            return Start(ordinal, address, dataDirectory);
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>The emulator once a member has run: every path that elects or stops a member comes after one started.</summary>
    private MongoEmulator Running => _emulator ?? throw new InvalidOperationException($"the replica set of {Namespace}/{Workload} has not started");

    /// <summary>The emulator, from the first member's folder: what a restored claim holds, or nothing.</summary>
    private Task<MongoEmulator> StartEmulatorAsync(int ordinal, string? dataDirectory) => MongoEmulator.StartAsync(new MongoEmulatorOptions
    {
        Members = Members,
        ReplicaSetName = _replicaSet,
        StartStopped = true,
        AdvertisedHosts = [.. Enumerable.Range(0, Members).Select(i => $"{Workload}-{i}.{Workload}-pods.{Namespace}.svc:27017")],
        Users = _users,
        // The others' folders are their pods' to give when they start (their claims may not exist yet).
        DataDirectories = dataDirectory is null ? null : [.. Enumerable.Range(0, Members).Select(i => i == ordinal ? dataDirectory : null)],
    });

    private MemberRun Start(int ordinal, IPAddress address, string? dataDirectory)
    {
        var emulator = _emulator!;
        lock (_sync)
        {
            // Back while still named primary (it died before the others noticed): it starts as a secondary.
            if (_initiated && emulator.PrimaryIndex == ordinal) emulator.StepDown();
        }

        if (dataDirectory is null) emulator.StartMember(ordinal, new IPEndPoint(address, 27017));
        else emulator.StartMember(ordinal, new IPEndPoint(address, 27017), dataDirectory);
        var run = new MemberRun(this, ordinal, address);
        lock (_sync)
        {
            _runs[ordinal] = run;
            _voters.Add(ordinal);
            if (!_initiated)
            {
                _initiated = true;
                emulator.StepUp(ordinal);
                _log.Write($"kubedb: {Namespace}/{Workload}: replica set initiated by member {ordinal}, primary {emulator.Hosts[ordinal]}");
            }
        }

        _log.Write($"kubedb: {Namespace}/{Workload}: member {ordinal} up at {address}:27017");
        Reconsider(now: false);
        return run;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        List<MemberRun> runs;
        lock (_sync)
        {
            runs = [.. _runs.Values];
        }

        foreach (var run in runs) run.Ended(137);
        if (_emulator is { } emulator) await emulator.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopAsync(MemberRun run, bool graceful)
    {
        bool steppedDown;
        lock (_sync)
        {
            if (_runs.GetValueOrDefault(run.Ordinal) != run) return;
            _runs.Remove(run.Ordinal);
            // mongod's shutdown on SIGTERM steps a primary down before it stops (db.shutdownServer in the MongoDB manual).
            steppedDown = graceful && Running.PrimaryIndex == run.Ordinal;
            if (steppedDown) Running.StepDown();
        }

        await Running.StopMemberAsync(run.Ordinal).ConfigureAwait(false);
        _log.Write($"kubedb: {Namespace}/{Workload}: member {run.Ordinal} down{(steppedDown ? " (stepped down first)" : "")}");
        Reconsider(now: steppedDown);
    }

    /// <summary>
    /// After a member came or went: nothing, or an election (or a step-down): at once after a primary stepped down (the
    /// others know there is none), else once the election timeout has passed without the primary.
    /// </summary>
    private void Reconsider(bool now)
    {
        lock (_sync)
        {
            if (now) Elect();
            else if (_election is null or { IsCompleted: true } && !Settled()) _election = ElectAsync();
        }

        Changed?.Invoke();
    }

    /// <summary>A primary that is up with a majority of the voters up, or no primary and no majority to elect one.</summary>
    private bool Settled()
    {
        var up = _voters.Count(Running.IsMemberUp);
        var majority = up > _voters.Count / 2;
        var primary = Running.PrimaryIndex;
        return primary >= 0 ? Running.IsMemberUp(primary) && majority : !majority;
    }

    private async Task ElectAsync()
    {
        try
        {
            await Task.Delay(_electionTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_sync)
        {
            _election = null;
            Elect();
        }

        Reconsider(now: false);
    }

    private void Elect()
    {
        if (Settled()) return;
        var up = _voters.Where(Running.IsMemberUp).Order().ToList();
        if (Running.PrimaryIndex >= 0) Running.StepDown();
        if (up.Count > _voters.Count / 2)
        {
            Running.StepUp(up[0]);
            _log.Write($"kubedb: {Namespace}/{Workload}: member {up[0]} elected primary (term {Running.Term})");
        }
        else
        {
            _log.Write($"kubedb: {Namespace}/{Workload}: no majority ({up.Count} of {_voters.Count} voters up): no primary");
        }
    }

    /// <summary>A <c>mongodb</c> container: the member serving, until the kubelet stops it (SIGTERM or SIGKILL alike).</summary>
    private sealed class MemberRun(DatabaseReplicaSet set, int ordinal, IPAddress address) : IContainerRun
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Ordinal { get; } = ordinal;

        public Task<int> Exited => _exited.Task;

        public string Id => $"standin://mongodb/{set.Namespace}/{set.Workload}/{Ordinal}";

        public async Task StopAsync(TimeSpan grace)
        {
            // A grace period is SIGTERM first (mongod shuts down cleanly and exits 0); none is SIGKILL (137).
            var graceful = grace > TimeSpan.Zero;
            await set.StopAsync(this, graceful).ConfigureAwait(false);
            Ended(graceful ? 0 : 137);
        }

        /// <summary>mongod killed: the member vanishes, as a crash (no step-down, no checkpoint).</summary>
        public Task KillAsync() => StopAsync(TimeSpan.Zero);

        public void Ended(int code) => _exited.TrySetResult(code);

        public async Task<(int ExitCode, string Output)?> ExecAsync(IReadOnlyList<string> command, TimeSpan timeout)
        {
            if (!Probe.IsMongoPing(command)) return null;
            return await MongoWire.PingAsync(new IPEndPoint(address, 27017), timeout).ConfigureAwait(false) ? (0, "1\n") : (1, "MongoNetworkError: connect ECONNREFUSED\n");
        }
    }

    /// <summary>A <c>mongodb</c> container whose mongod exited as it started (its dbPath could not be recovered).</summary>
    private sealed class FailedRun(string id, int code) : IContainerRun
    {
        public Task<int> Exited { get; } = Task.FromResult(code);

        public string Id { get; } = id;

        public Task StopAsync(TimeSpan grace) => Task.CompletedTask;

        public Task KillAsync() => Task.CompletedTask;

        public Task<(int ExitCode, string Output)?> ExecAsync(IReadOnlyList<string> command, TimeSpan timeout) => Task.FromResult<(int, string)?>(null);
    }
}
