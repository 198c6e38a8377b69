using System.Net;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Durability;
using Archiver.Emulators.MongoDb.Server;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// A MongoDB replica set emulated in memory for tests and demos: 1–7 members on 127.0.0.1 (or addresses the caller
/// gives), one primary at a time, sharing one data set and one oplog, speaking enough of the wire protocol for MongoDB.Driver 3.x.
/// With <see cref="MongoEmulatorOptions.DataDirectories"/> each member also keeps its data in a folder and a set starts
/// from what the folders hold.
/// Not a database: see docs/emulators.md for what it does and does not do. The methods below are test hooks
/// for fault injection; none of them exists as a wire command.
/// </summary>
public sealed class MongoEmulator : IAsyncDisposable
{
    private readonly ReplicaSetState _state;
    private readonly CommandDispatcher _dispatcher;
    private readonly List<MemberServer> _members;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _noopLoop;

    private MongoEmulator(ReplicaSetState state, CommandDispatcher dispatcher, List<MemberServer> members)
    {
        _state = state;
        _dispatcher = dispatcher;
        _members = members;
        _noopLoop = state.Options.PeriodicNoopInterval is { } interval ? RunNoopsAsync(interval) : Task.CompletedTask;
    }

    /// <summary><c>mongodb://127.0.0.1:p0[,127.0.0.1:p1..]/?replicaSet=rs0</c>.</summary>
    public string ConnectionString => $"mongodb://{string.Join(',', Hosts)}/?replicaSet={_state.Options.ReplicaSetName}" + (_state.Options.Tls is null ? "" : "&tls=true");

    /// <summary>The members' host strings, exactly as hello reports them.</summary>
    public IReadOnlyList<string> Hosts => _state.Hosts;

    /// <summary>TLS handshakes that failed on any member (a plain client, no or a foreign client certificate, a client that refused the server).</summary>
    public long TlsHandshakesFailed => Interlocked.Read(ref _state.TlsHandshakesFailed);

    /// <summary>Index of the primary, or -1 while stepped down with no new primary.</summary>
    public int PrimaryIndex
    {
        get
        {
            lock (_state.Sync)
            {
                return _state.PrimaryIndex;
            }
        }
    }

    public long Term
    {
        get
        {
            lock (_state.Sync)
            {
                return _state.Term;
            }
        }
    }

    /// <summary>The <c>ts</c> of the newest oplog entry.</summary>
    public BsonTimestamp LastAppliedTimestamp
    {
        get
        {
            lock (_state.Sync)
            {
                return _state.LastApplied.Ts;
            }
        }
    }

    /// <summary>The majority commit point (hello's <c>lastWrite.majorityOpTime.ts</c>).</summary>
    public BsonTimestamp MajorityCommitTimestamp
    {
        get
        {
            lock (_state.Sync)
            {
                return _state.MajorityCommitted.Ts;
            }
        }
    }

    /// <summary>The oplog cap in bytes; lowering it truncates the oldest entries at once.</summary>
    public long OplogSizeBytes
    {
        get
        {
            lock (_state.Sync)
            {
                return _state.Oplog.MaxBytes;
            }
        }

        set => _state.ResizeOplog(value);
    }

    public static Task<MongoEmulator> StartAsync(MongoEmulatorOptions? options = null)
    {
        options ??= new MongoEmulatorOptions();
        if (options.Members is < 1 or > 7)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Members must be between 1 and 7");
        }

        if (options.AdvertisedHosts is { } advertised && advertised.Count != options.Members)
        {
            throw new ArgumentException($"AdvertisedHosts names {advertised.Count} members, Members is {options.Members}", nameof(options));
        }

        if (options.StartStopped && options.AdvertisedHosts is null)
        {
            throw new ArgumentException("members that start stopped have no address yet: give AdvertisedHosts", nameof(options));
        }

        var folders = options.DataDirectories is { } directories ? OpenFolders(options, directories) : null;
        RecoveredImage? recovered = null;
        foreach (var folder in folders?.OfType<DataDirectory>() ?? [])
        {
            // The members share one data set: the set starts from the folder that reached furthest, and the others
            // catch up from it (their folders are written afresh below), as lagging members catch up by replication.
            if (folder.Load() is { } image && (recovered is null || image.Position.Ts.CompareTo(recovered.Position.Ts) > 0))
            {
                recovered = image;
            }
        }

        var state = new ReplicaSetState(options, recovered);
        if (folders is not null)
        {
            lock (state.Sync)
            {
                state.AttachFolders(folders);
            }
        }

        var dispatcher = new CommandDispatcher();
        var members = new List<MemberServer>();
        try
        {
            for (var i = 0; i < options.Members; i++)
            {
                var member = new MemberServer(i, state, dispatcher);
                members.Add(member);
                if (!options.StartStopped)
                {
                    member.Start(new IPEndPoint(IPAddress.Loopback, i == 0 ? options.Port : 0));
                    state.MemberUp[i] = true;
                }
            }
        }
        catch
        {
            foreach (var member in members) _ = member.StopAsync();
            throw;
        }

        state.Hosts = options.AdvertisedHosts ?? members.Select(m => $"127.0.0.1:{m.EndPoint!.Port}").ToList();
        if (folders is not null)
        {
            lock (state.Sync)
            {
                // WiredTiger ends its recovery with a checkpoint: each serving member's folder now holds the state
                // the set started with, and a journal that follows it. A member that starts later catches up then.
                state.CheckpointRunningMembers();
            }
        }

        return Task.FromResult(new MongoEmulator(state, dispatcher, members));
    }

    private static List<DataDirectory?> OpenFolders(MongoEmulatorOptions options, IReadOnlyList<string?> directories)
    {
        if (directories.Count != options.Members)
        {
            throw new ArgumentException($"DataDirectories names {directories.Count} folders, Members is {options.Members}", nameof(options));
        }

        var folders = directories.Select(d => d is null ? null : new DataDirectory(d)).ToList();
        var named = folders.OfType<DataDirectory>().ToList();
        if (named.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count() != named.Count)
        {
            // Two mongods on one dbPath: mongod refuses the second (mongod.lock); here each member writes its own folder.
            throw new ArgumentException("each member needs a data directory of its own", nameof(options));
        }

        return folders;
    }

    /// <summary>Whether <paramref name="member"/> is serving.</summary>
    public bool IsMemberUp(int member)
    {
        CheckMember(member);
        lock (_state.Sync)
        {
            return _state.MemberUp[member];
        }
    }

    /// <summary>Where <paramref name="member"/> listens, or null while it is stopped.</summary>
    public IPEndPoint? MemberEndPoint(int member)
    {
        CheckMember(member);
        return _members[member].EndPoint;
    }

    /// <summary>
    /// Starts a stopped member listening on <paramref name="endPoint"/> (port 0: a free one), as a mongod coming back
    /// (possibly at a new address) rejoins its set: as a secondary, with the shared data; who is primary does not
    /// change. Throws a SocketException if the address is taken.
    /// </summary>
    public void StartMember(int member, IPEndPoint endPoint)
    {
        CheckMember(member);
        _members[member].Start(endPoint);
        lock (_state.Sync)
        {
            _state.MemberUp[member] = true;
            // It catches up with what the others applied while it was down: its folder is written afresh.
            _state.Members[member].Folder?.WriteCheckpoint(_state);
        }
    }

    /// <summary>
    /// Starts a stopped member as <see cref="StartMember(int, IPEndPoint)"/> does, keeping its data in
    /// <paramref name="dataDirectory"/> from now on (its dbPath, e.g. the volume its pod mounts, which may be another than
    /// the last time: a claim made anew). It joins the running set, so the folder is written afresh with the set's data
    /// (whatever it held before, as a mongod joining by initial sync replaces its data); only folders given at
    /// <see cref="StartAsync"/> are started from. Throws an ArgumentException if another member keeps its data there.
    /// </summary>
    public void StartMember(int member, IPEndPoint endPoint, string dataDirectory)
    {
        CheckMember(member);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var folder = new DataDirectory(dataDirectory);
        lock (_state.Sync)
        {
            if (_state.MemberUp[member])
            {
                throw new InvalidOperationException($"member {member} is serving; stop it before giving it another data directory");
            }

            if (_state.Members.FirstOrDefault(m => m.Index != member && m.Folder?.Path == folder.Path) is { } other)
            {
                // Two mongods on one dbPath: mongod refuses the second (mongod.lock).
                throw new ArgumentException($"member {other.Index} keeps its data in {folder.Path} already", nameof(dataDirectory));
            }

            if (_state.Members[member].Folder?.Path != folder.Path)
            {
                _state.AttachFolder(member, folder);
            }
        }

        StartMember(member, endPoint);
    }

    /// <summary>
    /// Stops a member as if its mongod died: its listener closes (connections to it are refused) and its open
    /// connections are reset; replSetGetStatus reports it unreachable. If it was the primary it stays named primary
    /// (the others have not noticed yet): elect another with <see cref="StepDown"/> and <see cref="StepUp"/>.
    /// </summary>
    public async Task StopMemberAsync(int member)
    {
        CheckMember(member);
        lock (_state.Sync)
        {
            _state.MemberUp[member] = false;
            // Its fsync lock dies with the process; its folder keeps what it had written (a crash: no checkpoint).
            _state.Thaw(member, running: false);
        }

        _state.Members[member].UnblockWrites();
        await _members[member].StopAsync().ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="member"/> is fsync-locked (<c>{fsync: 1, lock: true}</c> not yet undone by <c>fsyncUnlock</c>).</summary>
    public bool IsFsyncLocked(int member)
    {
        CheckMember(member);
        lock (_state.Sync)
        {
            return _state.Members[member].LockCount > 0;
        }
    }

    /// <summary>The <c>ts</c> of the newest entry <paramref name="member"/> has applied: behind the others only while it is fsync-locked.</summary>
    public BsonTimestamp MemberLastAppliedTimestamp(int member)
    {
        CheckMember(member);
        lock (_state.Sync)
        {
            return _state.Applied(member).Ts;
        }
    }

    /// <summary>Holds every command named <paramref name="command"/> before it runs until the hold is disposed.</summary>
    public CommandHold HoldCommands(string command)
    {
        var hold = new CommandHold(command);
        _state.CommandHold = hold;
        return hold;
    }

    /// <summary>Keeps the majority commit point where it is: later entries are "not yet majority-committed".</summary>
    public void HoldMajorityCommitPoint() => _state.HoldMajority();

    /// <summary>Lets the majority commit point catch up with the newest entry again.</summary>
    public void ReleaseMajorityCommitPoint() => _state.ReleaseMajority();

    /// <summary>
    /// Rolls back every entry after the held majority point, as a failover rollback would: data returns to
    /// that point, the entries leave the oplog, the term increases, cursors die and connections drop. Returns
    /// how many entries were rolled back (0 when the majority point was not held).
    /// </summary>
    public int RollBackToMajorityCommitPoint()
    {
        var removed = _state.RollBack();
        KillAllConnections();
        return removed;
    }

    /// <summary>The primary steps down: writes answer NotWritablePrimary (10107), hello says not writable.</summary>
    public void StepDown() => _state.StepDown();

    /// <summary>Makes <paramref name="member"/> primary in a new term and logs its "new primary" no-op.</summary>
    public void StepUp(int member)
    {
        CheckMember(member);
        _state.StepUp(member);
    }

    /// <summary>A deep copy of all user data, atomically, with the optime it reflects.</summary>
    public MongoDataSnapshot CaptureData() => _state.Capture();

    /// <summary>A copy of the whole oplog, oldest first.</summary>
    public IReadOnlyList<BsonDocument> ReadOplog() => _state.OplogCopy();

    /// <summary>Runs one tick of the periodic no-op writer now, instead of waiting for the interval.</summary>
    public void TickPeriodicNoop() => _state.PeriodicNoopTick();

    /// <summary>
    /// Makes every <paramref name="command"/> wait <paramref name="delay"/> before it runs (zero: no more), as a busy or
    /// distant server does: a test gets time to act in the middle of a long run of them (a restore's replay).
    /// </summary>
    public void SlowDown(string command, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            _state.CommandDelays.TryRemove(command, out _);
        }
        else
        {
            _state.CommandDelays[command] = delay;
        }
    }

    /// <summary>Drops every client connection on every member.</summary>
    public void KillAllConnections()
    {
        foreach (var member in _members)
        {
            member.KillConnections();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _noopLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        foreach (var member in _members)
        {
            await member.DisposeAsync().ConfigureAwait(false);
        }

        lock (_state.Sync)
        {
            // A clean stop ends with a checkpoint, as mongod's shutdown does. A locked member's folder already holds
            // exactly what it has (its checkpoint at the lock, nothing since): shutdown releases the lock (fsync.cpp's
            // shutdown task) and that same state is all it would write.
            try
            {
                _state.CheckpointRunningMembers();
            }
            finally
            {
                _state.CloseFolders();
            }
        }

        _stop.Dispose();
    }

    /// <summary>The replica set's shared state, for a sharded cluster's router and migrations (in process).</summary>
    internal ReplicaSetState State => _state;

    /// <summary>
    /// Runs a command on the primary as the cluster's own internal user would (a router or config server reaching a
    /// shard): every check a client's command meets applies (a write on a stepped-down set fails with NotWritablePrimary,
    /// a fsync-locked member holds writes) except authentication, which internal members pass with their key file.
    /// </summary>
    internal Task<BsonDocument> RunAsync(string database, BsonDocument command, CancellationToken cancellation)
    {
        int primary;
        lock (_state.Sync)
        {
            primary = _state.PrimaryIndex;
        }

        if (primary < 0 || !IsMemberUp(primary))
        {
            // No primary to reach: what a router gets from a set with none (it would retry until its timeout).
            return Task.FromResult(new CommandError(ErrorCode.NotWritablePrimary, $"no primary in replica set {_state.Options.ReplicaSetName}").ToReply());
        }

        return _dispatcher.DispatchAsync(new CommandContext
        {
            Command = command,
            Database = database,
            State = _state,
            Member = primary,
            ConnectionId = 0,
            Connection = InternalConnection,
            Cancellation = cancellation,
        });
    }

    private static ClientConnection InternalConnection { get; } = new(0) { User = "__system", UserDatabase = "local" };

    private void CheckMember(int member)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(member);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(member, _members.Count);
    }

    private async Task RunNoopsAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            _state.PeriodicNoopTick();
        }
    }
}
