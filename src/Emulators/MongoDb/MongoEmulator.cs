using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Server;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// A MongoDB replica set emulated in memory for tests and demos: 1–3 members on 127.0.0.1, one primary at a
/// time, sharing one data set and one oplog, speaking enough of the wire protocol for MongoDB.Driver 3.x.
/// Not a database: see docs/emulators.md for what it does and does not do. The methods below are test hooks
/// for fault injection; none of them exists as a wire command.
/// </summary>
public sealed class MongoEmulator : IAsyncDisposable
{
    private readonly ReplicaSetState _state;
    private readonly List<MemberServer> _members;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _noopLoop;

    private MongoEmulator(ReplicaSetState state, List<MemberServer> members)
    {
        _state = state;
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
        if (options.Members is < 1 or > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Members must be 1, 2 or 3");
        }

        var state = new ReplicaSetState(options);
        var dispatcher = new CommandDispatcher();
        var members = new List<MemberServer>();
        for (var i = 0; i < options.Members; i++)
        {
            members.Add(new MemberServer(i, i == 0 ? options.Port : 0, state, dispatcher));
        }

        state.Hosts = members.Select(m => $"127.0.0.1:{m.Port}").ToList();
        foreach (var member in members)
        {
            member.Run();
        }

        return Task.FromResult(new MongoEmulator(state, members));
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
        ArgumentOutOfRangeException.ThrowIfNegative(member);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(member, _members.Count);
        _state.StepUp(member);
    }

    /// <summary>A deep copy of all user data, atomically, with the optime it reflects.</summary>
    public MongoDataSnapshot CaptureData() => _state.Capture();

    /// <summary>A copy of the whole oplog, oldest first.</summary>
    public IReadOnlyList<BsonDocument> ReadOplog() => _state.OplogCopy();

    /// <summary>Runs one tick of the periodic no-op writer now, instead of waiting for the interval.</summary>
    public void TickPeriodicNoop() => _state.PeriodicNoopTick();

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

        _stop.Dispose();
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
