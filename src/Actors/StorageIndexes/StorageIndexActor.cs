using Akka.Actor;
using Akka.Event;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using Archiver.Storage.Retention;

namespace Archiver.Actors.StorageIndexes;

/// <summary>
/// The catalog of one backup storage: per database folder, its oplog runs, gaps, backups and recoverable windows,
/// built from a listing and refreshed when something is published and on a timer. It answers window and plan
/// queries and runs retention. Not persistent: the repository itself is the truth, and a new index rebuilds from
/// it. Catalogs are touched only on the actor's thread; listings, deletions and scrubs run beside it.
/// </summary>
public sealed partial class StorageIndexActor : ReceiveActor, IWithTimers
{
    private readonly ResourceId _storage;
    private readonly IObjectStoreProvider _stores;

    /// <summary>In a cluster, where a scrub checks the VolumeSnapshots of CSISnapshotter backups; null on the embedded node.</summary>
    private readonly Storage.VolumeSnapshots.IVolumeSnapshotter? _snapshots;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _resyncInterval;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, RepositoryCatalog> _catalogs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(object Query, IActorRef ReplyTo)>> _waiting = new(StringComparer.Ordinal);

    // Listings overlap (a publish, a resync, a deletion): each is numbered, an older one never replaces a newer
    // catalog, and queries held back after a deletion wait for a listing started after it.
    private readonly Dictionary<string, long> _started = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _mustReach = new(StringComparer.Ordinal);

    public StorageIndexActor(ResourceId storage, IObjectStoreProvider stores, StorageIndexSettings settings, TimeProvider clock, Storage.VolumeSnapshots.IVolumeSnapshotter? snapshots = null)
    {
        _storage = storage;
        _stores = stores;
        _snapshots = snapshots;
        _clock = clock;
        Receive<GetRecoverableWindows>(q =>
        {
            if (q.Fresh && !_waiting.ContainsKey(q.Prefix)) Invalidate(q.Prefix);
            WithCatalog(q.Prefix, q, Sender);
        });
        // A restore plans on a listing started after it asked: the sidecars publish chunks the node is not told of, and a
        // plan from a catalog a few seconds old refuses a target the archive already reaches. A plan is rare; a listing is cheap.
        Receive<PlanRecovery>(q =>
        {
            Invalidate(q.Prefix);
            _waiting[q.Prefix].Add((q, Sender));
        });
        Receive<ApplyRetention>(q => WithCatalog(q.Prefix, q, Sender));
        // Something published adds to what the catalog holds: until it is read, the catalog claims less than is there.
        // Something deleted takes away: until it is read, no answer may claim it.
        Receive<RefreshCatalog>(r =>
        {
            if (r.Deleted) Invalidate(r.Prefix);
            else Load(r.Prefix);
        });
        Receive<Loaded>(OnLoaded);
        Receive<Resync>(_ =>
        {
            foreach (var prefix in _catalogs.Keys.ToList()) Load(prefix);
        });
        Receive<RetentionDone>(d =>
        {
            Invalidate(d.Reply.Prefix);
            d.ReplyTo.Tell(d.Reply);
        });
        ReceiveVerification();
        _resyncInterval = settings.ResyncInterval;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ResourceId storage, IObjectStoreProvider stores, StorageIndexSettings settings, TimeProvider clock, Storage.VolumeSnapshots.IVolumeSnapshotter? snapshots = null) =>
        Akka.Actor.Props.Create(() => new StorageIndexActor(storage, stores, settings, clock, snapshots));

    // Timers are given to the actor after it is constructed.
    protected override void PreStart() => Timers.StartPeriodicTimer("resync", Resync.Instance, _resyncInterval);

    private void WithCatalog(string prefix, object query, IActorRef replyTo)
    {
        if (_catalogs.TryGetValue(prefix, out var catalog) && !_waiting.ContainsKey(prefix))
        {
            Answer(prefix, catalog, query, replyTo);
            return;
        }

        if (!_waiting.ContainsKey(prefix)) Invalidate(prefix);
        _waiting[prefix].Add((query, replyTo));
    }

    /// <summary>Reads the prefix again and holds every query for it until a listing started now has answered.</summary>
    private void Invalidate(string prefix)
    {
        _mustReach[prefix] = Load(prefix);
        _waiting.TryAdd(prefix, []);
    }

    private long Load(string prefix)
    {
        var generation = _started[prefix] = _started.GetValueOrDefault(prefix) + 1;
        var storage = _storage;
        var stores = _stores;
        LoadAsync().PipeTo(Self, success: c => new Loaded(prefix, generation, c, null), failure: e => new Loaded(prefix, generation, null, e));
        return generation;

        async Task<RepositoryCatalog> LoadAsync()
        {
            var store = await stores.OpenAsync(storage);
            return await RepositoryCatalog.LoadAsync(store, new RepositoryLayout(prefix));
        }
    }

    private void OnLoaded(Loaded loaded)
    {
        if (loaded.Catalog is not null && loaded.Generation > _held.GetValueOrDefault(loaded.Prefix))
        {
            _catalogs[loaded.Prefix] = loaded.Catalog;
            _held[loaded.Prefix] = loaded.Generation;
        }
        else if (loaded.Catalog is null)
        {
            _log.Warning(loaded.Error, "listing {0}:{1} failed", _storage, loaded.Prefix);
        }

        if (loaded.Generation < _mustReach.GetValueOrDefault(loaded.Prefix) || !_waiting.Remove(loaded.Prefix, out var queue)) return;
        var current = _held.GetValueOrDefault(loaded.Prefix) >= loaded.Generation ? _catalogs.GetValueOrDefault(loaded.Prefix) : null;
        foreach (var (query, replyTo) in queue)
        {
            if (current is not null) Answer(loaded.Prefix, current, query, replyTo);
            else replyTo.Tell(Failure(loaded.Prefix, query, $"cannot read {_storage}:{loaded.Prefix}: {loaded.Error?.GetBaseException().Message}"));
        }
    }

    private void Answer(string prefix, RepositoryCatalog catalog, object query, IActorRef replyTo)
    {
        switch (query)
        {
            case GetRecoverableWindows windows:
                replyTo.Tell(CatalogViews.Windows(prefix, catalog, windows.Owner));
                break;
            case PlanRecovery plan:
                replyTo.Tell(PlanFor(prefix, catalog, plan));
                break;
            case ApplyRetention retention:
                Retain(prefix, catalog, retention, replyTo);
                break;
        }
    }

    private RecoveryPlanReply PlanFor(string prefix, RepositoryCatalog catalog, PlanRecovery query)
    {
        if (!RecoveryTarget.TryParse(query.Target, out var target, out var reason))
        {
            return new RecoveryPlanReply(prefix, null, null, $"at: {reason}");
        }

        // Over every timeline: a target after a restore's branch point falls on the branch, one before it on the history it came from.
        return catalog.Timelines.Count == 0
            ? new RecoveryPlanReply(prefix, null, new RefusalInfo(nameof(RefusalReason.NoBackup), $"nothing is archived under {prefix}", null, null), null)
            : CatalogViews.Plan(prefix, catalog.PlanRestore(target, _clock.GetUtcNow()));
    }

    private void Retain(string prefix, RepositoryCatalog catalog, ApplyRetention query, IActorRef replyTo)
    {
        var rules = new RetentionRules { KeepLastSucceeded = query.KeepLastSucceeded, KeepLastFailed = query.KeepLastFailed, MaxRetentionPeriod = query.MaxRetentionPeriod };
        RetentionPlan plan;
        try
        {
            rules.Validate();
            plan = RetentionPlanner.Plan(catalog, rules, _clock.GetUtcNow());
        }
        catch (ArgumentException e)
        {
            replyTo.Tell(new RetentionReply(prefix, [], 0, e.Message));
            return;
        }

        var keys = plan.KeysToDelete().ToList();
        List<VolumeSnapshotRef> snapshots = [.. plan.BackupsToDelete.SelectMany(b => b.VolumeSnapshots).Select(v => new VolumeSnapshotRef(v.Namespace, v.Name))];
        if (query.DryRun)
        {
            replyTo.Tell(new RetentionReply(prefix, keys, 0, null, snapshots));
            return;
        }

        var storage = _storage;
        var stores = _stores;
        ApplyAsync().PipeTo(Self,
            success: deleted => new RetentionDone(new RetentionReply(prefix, keys, deleted, null, snapshots), replyTo),
            failure: e => new RetentionDone(new RetentionReply(prefix, keys, 0, e.GetBaseException().Message, snapshots), replyTo));

        async Task<int> ApplyAsync() => await RetentionExecutor.ApplyAsync(await stores.OpenAsync(storage), plan);
    }

    private static object Failure(string prefix, object query, string error) => query switch
    {
        GetRecoverableWindows => new RecoverableWindowsReply(prefix, [], [], error),
        PlanRecovery => new RecoveryPlanReply(prefix, null, null, error),
        _ => new RetentionReply(prefix, [], 0, error),
    };

    private sealed record Loaded(string Prefix, long Generation, RepositoryCatalog? Catalog, Exception? Error) : INoSerializationVerificationNeeded;

    private sealed record RetentionDone(RetentionReply Reply, IActorRef ReplyTo) : INoSerializationVerificationNeeded;

    private sealed record Resync : INoSerializationVerificationNeeded
    {
        public static readonly Resync Instance = new();
    }
}
