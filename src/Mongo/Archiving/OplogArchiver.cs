using Archiver.Mongo.Connections;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using MongoDB.Driver;

namespace Archiver.Mongo.Archiving;

/// <summary>
/// Archives one replica set's oplog into the repository: resumes after the last archived <c>ts</c> (read back
/// from the repository, never from local state), tails the primary with a tailable await cursor, passes on only
/// majority-committed entries (so a rolled-back entry never reaches the archive), keeps the raw bytes and the
/// <c>n</c> no-ops, and publishes a chunk every <see cref="OplogArchiverOptions.ChunkMaxAge"/> or
/// <see cref="OplogArchiverOptions.ChunkMaxBytes"/>. One instance per component; run it once at a time.
/// </summary>
public sealed partial class OplogArchiver
{
    private readonly IMongoClient _client;
    private readonly IObjectStore _store;
    private readonly RepositoryLayout _layout;
    private readonly OplogArchiverOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _statusLock = new();
    private readonly List<ArchivedGap> _gaps = [];
    private readonly Dictionary<string, ArchiverCondition> _conditions = [];
    private OplogArchiverStatus _status;
    private OplogChunkWriter? _writer;
    private Task _inFlight = Task.CompletedTask;
    private OplogTimestamp _lastArchived;
    private OplogTimestamp _lastAppended;
    private long _pendingSinceTicks;

    // When the first data-bearing (not no-op) entry of the pending chunk was appended; 0 while only no-ops are pending.
    private long _pendingDataSinceTicks;

    /// <summary>When the last chunk was cut (0: none yet this run): a caught-up tail cuts at most once per ChunkMaxAge.</summary>
    private long _lastCutTicks;
    private int _flushRequested;
    private bool _inFlightHasData;
    private int _heldEntries;
    private OplogTimestamp _runStart;
    private long _runStartWall;
    private long _lastArchivedWall;
    private long _entriesArchived;
    private long _chunksPublished;
    private ReplicaSetPosition? _position;
    private long _oldestWall;
    private double? _oplogFill;
    private long _statusRefreshedTicks;
    private ulong _readThrough;
    private long _readThroughWall;

    public OplogArchiver(IMongoClient client, IObjectStore store, RepositoryLayout layout, OplogArchiverOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        RepositoryLayout.ValidateSegment(options.Component, nameof(options));
        _client = client;
        _store = store;
        _layout = layout;
        _options = options;
        _time = options.Time;
        _status = new OplogArchiverStatus { Component = options.Component, Phase = ArchiverPhase.Stopped, UpdatedAt = _time.GetUtcNow() };
    }

    /// <summary>Raised (on the archiver's own task) whenever the status changes: a chunk published, a condition raised or cleared, lag refreshed.</summary>
    public event EventHandler<OplogArchiverStatus>? StatusChanged;

    /// <summary>
    /// Publishes what is pending at the next look, no-ops alone included, instead of holding them for
    /// <c>IdleFlushInterval</c>: a sharded cluster's idle replica set is asked to when the others' archives have gone
    /// past its own, since a point of the cluster is restorable only once every replica set's archive covers it.
    /// </summary>
    public void FlushSoon() => Interlocked.Exchange(ref _flushRequested, 1);

    /// <summary>
    /// The newest entry read from the source and dealt with: appended to the pending chunk (and the chunk cut if it
    /// was due), or held back until the majority point passes it. Moves with every batch, unlike the status, which
    /// changes when something is published; it tells "not read yet" from "read and not published" (a probe's
    /// question, and a diagnostic's: the tail is alive even while nothing can be published).
    /// </summary>
    public OplogTimestamp ReadThrough => OplogTimestamp.FromValue(Interlocked.Read(ref _readThrough));

    /// <summary>The latest status; safe to read from any thread.</summary>
    public OplogArchiverStatus Status
    {
        get
        {
            lock (_statusLock)
            {
                return _status;
            }
        }
    }

    /// <summary>
    /// Archives until <paramref name="cancellationToken"/> fires. Failures of the source or the repository are
    /// retried for ever (each shown as a condition); only cancellation ends it. Entries not yet published when
    /// it ends are simply re-read on the next start: the oplog still holds them, and a chunk is all or nothing.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _gaps.Clear();
        _conditions.Clear();
        SetPhase(ArchiverPhase.Starting);
        try
        {
            await ResumeFromRepositoryAsync(cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    SetPhase(ArchiverPhase.Streaming);
                    await TailAsync(cancellationToken);
                }
                catch (TermChangedException)
                {
                    // A normal event of a replica set: start a new tailing session at once.
                }
                catch (Exception e) when (IsSourceFailure(e) && !cancellationToken.IsCancellationRequested)
                {
                    var cause = MongoFailure.Describe(e, _client.Cluster?.Description, _options.Component);
                    Raise(ArchiverConditionTypes.SourceUnavailable, cause, e);
                    SetPhase(ArchiverPhase.Retrying, cause);
                    await Task.Delay(_options.RetryDelay, _time, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal way out.
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && IsSourceFailure(e))
        {
            // The source failing as the run is stopped (a member stepping down is both: the sidecar stops this run because
            // of it) is part of stopping, not an error of the run.
        }
        finally
        {
            // A put in flight finishes or is cancelled; either way the next start resumes from what is stored.
            await _inFlight;
            _inFlight = Task.CompletedTask;
            _writer?.Dispose();
            _writer = null;
            SetPhase(ArchiverPhase.Stopped);
        }
    }

    private async Task ResumeFromRepositoryAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var catalog = await RepositoryCatalog.LoadAsync(_store, _layout, cancellationToken);
                var history = catalog.Timeline(_options.Timeline).Component(_options.Component);
                var resume = _options.StartAfter ?? OplogTimestamp.Zero;
                if (history.Runs.Count > 0)
                {
                    var run = history.Runs[^1];
                    (resume, _runStart, _runStartWall, _lastArchivedWall) = (run.End, run.From, run.FromWallUnixMs, run.EndWallUnixMs);
                }

                _writer = new OplogChunkWriter(_store, _layout, _options.Component, _options.Timeline, resume, _options.ChunkWriter);
                _lastAppended = resume;
                _lastArchived = resume;
                Clear(ArchiverConditionTypes.StorageUnavailable);
                return;
            }
            catch (Exception e) when (IsStorageFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                var cause = $"reading the resume point failed: {MongoFailure.FirstLine(e.Message)}";
                Raise(ArchiverConditionTypes.StorageUnavailable, cause, e);
                SetPhase(ArchiverPhase.Retrying, cause);
                await Task.Delay(_options.RetryDelay, _time, cancellationToken);
            }
        }
    }

    private static bool IsSourceFailure(Exception e) =>
        e is MongoException or TimeoutException or IOException or System.Net.Sockets.SocketException;

    private static bool IsStorageFailure(Exception e) =>
        e is StorageException or IOException or HttpRequestException or TimeoutException or UnauthorizedAccessException
        || e.GetType().Namespace?.StartsWith("Amazon", StringComparison.Ordinal) == true;
}
