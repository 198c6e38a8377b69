using System.Net;
using Archiver.Emulators.Cluster.Kubelet;
using Archiver.Emulators.MongoDb;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// One KubeDB MongoDB's replica set: a <see cref="MongoEmulator"/> whose members are the database's pods. Each member
/// is named as KubeDB adds it to the set (<c>{db}-{i}.{db}-pods.{ns}.svc:27017</c>, apimachinery MongoDB.Hosts) and
/// listens at its pod's address while its <c>mongodb</c> container runs; members share one data set (the emulator
/// replicates nothing: see docs/emulators.md). The set is initiated by the first member that comes up (KubeDB's
/// first pod runs <c>rs.initiate</c>, later ones join); each member that has joined votes. A primary stopped gracefully
/// (its pod deleted: SIGTERM) steps down first, as mongod's shutdown does, and the others elect a new primary at once;
/// a primary that vanishes (SIGKILL) is replaced after <c>electionTimeout</c> (MongoDB's <c>electionTimeoutMillis</c>,
/// 10 s by default). The new primary is the lowest ordinal up, if a majority of the voters is up; without a majority
/// the primary steps down. A member that comes back rejoins as a secondary, as a restarted mongod always does.
/// </summary>
internal sealed class DatabaseReplicaSet : IAsyncDisposable
{
    private readonly Lock _sync = new();
    private readonly HashSet<int> _voters = [];
    private readonly Dictionary<int, MemberRun> _runs = [];
    private readonly TimeSpan _electionTimeout;
    private readonly StandInLog _log;
    private readonly CancellationTokenSource _stop = new();
    private bool _initiated;
    private Task? _election;

    private DatabaseReplicaSet(MongoEmulator emulator, string ns, string name, TimeSpan electionTimeout, StandInLog log)
    {
        Emulator = emulator;
        Namespace = ns;
        Name = name;
        _electionTimeout = electionTimeout;
        _log = log;
    }

    /// <summary>Fires after a member came or went, or a primary was elected.</summary>
    public event Action? Changed;

    public MongoEmulator Emulator { get; }

    public string Namespace { get; }

    public string Name { get; }

    public int Members => Emulator.Hosts.Count;

    public static async Task<DatabaseReplicaSet> StartAsync(string ns, string name, string replicaSet, int members, IReadOnlyDictionary<string, string> users, TimeSpan electionTimeout, StandInLog log)
    {
        var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
        {
            Members = members,
            ReplicaSetName = replicaSet,
            StartStopped = true,
            AdvertisedHosts = [.. Enumerable.Range(0, members).Select(i => $"{name}-{i}.{name}-pods.{ns}.svc:27017")],
            Users = users,
        }).ConfigureAwait(false);
        // Not initiated until its first member runs: no primary.
        emulator.StepDown();
        return new DatabaseReplicaSet(emulator, ns, name, electionTimeout, log);
    }

    /// <summary>The member <paramref name="ordinal"/> starts serving at <paramref name="address"/>:27017, as its pod's mongod.</summary>
    public IContainerRun Start(int ordinal, IPAddress address)
    {
        lock (_sync)
        {
            // Back while still named primary (it died before the others noticed): it starts as a secondary.
            if (_initiated && Emulator.PrimaryIndex == ordinal) Emulator.StepDown();
        }

        Emulator.StartMember(ordinal, new IPEndPoint(address, 27017));
        var run = new MemberRun(this, ordinal, address);
        lock (_sync)
        {
            _runs[ordinal] = run;
            _voters.Add(ordinal);
            if (!_initiated)
            {
                _initiated = true;
                Emulator.StepUp(ordinal);
                _log.Write($"kubedb: {Namespace}/{Name}: replica set initiated by member {ordinal}, primary {Emulator.Hosts[ordinal]}");
            }
        }

        _log.Write($"kubedb: {Namespace}/{Name}: member {ordinal} up at {address}:27017");
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
        await Emulator.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopAsync(MemberRun run, bool graceful)
    {
        bool steppedDown;
        lock (_sync)
        {
            if (_runs.GetValueOrDefault(run.Ordinal) != run) return;
            _runs.Remove(run.Ordinal);
            // mongod's shutdown on SIGTERM steps a primary down before it stops (db.shutdownServer in the MongoDB manual).
            steppedDown = graceful && Emulator.PrimaryIndex == run.Ordinal;
            if (steppedDown) Emulator.StepDown();
        }

        await Emulator.StopMemberAsync(run.Ordinal).ConfigureAwait(false);
        _log.Write($"kubedb: {Namespace}/{Name}: member {run.Ordinal} down{(steppedDown ? " (stepped down first)" : "")}");
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
        var up = _voters.Count(Emulator.IsMemberUp);
        var majority = up > _voters.Count / 2;
        var primary = Emulator.PrimaryIndex;
        return primary >= 0 ? Emulator.IsMemberUp(primary) && majority : !majority;
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
        var up = _voters.Where(Emulator.IsMemberUp).Order().ToList();
        if (Emulator.PrimaryIndex >= 0) Emulator.StepDown();
        if (up.Count > _voters.Count / 2)
        {
            Emulator.StepUp(up[0]);
            _log.Write($"kubedb: {Namespace}/{Name}: member {up[0]} elected primary (term {Emulator.Term})");
        }
        else
        {
            _log.Write($"kubedb: {Namespace}/{Name}: no majority ({up.Count} of {_voters.Count} voters up): no primary");
        }
    }

    /// <summary>A <c>mongodb</c> container: the member serving, until the kubelet stops it (SIGTERM or SIGKILL alike).</summary>
    private sealed class MemberRun(DatabaseReplicaSet set, int ordinal, IPAddress address) : IContainerRun
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Ordinal { get; } = ordinal;

        public Task<int> Exited => _exited.Task;

        public string Id => $"standin://mongodb/{set.Namespace}/{set.Name}/{Ordinal}";

        public async Task StopAsync(TimeSpan grace)
        {
            // A grace period is SIGTERM first (mongod shuts down cleanly and exits 0); none is SIGKILL (137).
            var graceful = grace > TimeSpan.Zero;
            await set.StopAsync(this, graceful).ConfigureAwait(false);
            Ended(graceful ? 0 : 137);
        }

        public void Ended(int code) => _exited.TrySetResult(code);

        public async Task<(int ExitCode, string Output)?> ExecAsync(IReadOnlyList<string> command, TimeSpan timeout)
        {
            if (!Probe.IsMongoPing(command)) return null;
            return await MongoWire.PingAsync(new IPEndPoint(address, 27017), timeout).ConfigureAwait(false) ? (0, "1\n") : (1, "MongoNetworkError: connect ECONNREFUSED\n");
        }
    }
}
