using Archiver.Mongo.Backup;
using Archiver.Mongo.Sharding;
using Archiver.Storage;
using Archiver.Storage.Oplog;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Restores a sharded cluster's backup into an empty sharded cluster of the same shape, every replica set to the same
/// point: each shard from its own share of the backup and its own oplog, the config server's catalog
/// (<c>config.databases</c>, <c>config.collections</c>, <c>config.chunks</c>, ...) from its share and its oplog, all at
/// once. A shard replays its own oplog, migrations included (their <c>fromMigrate</c> writes move documents between
/// the shards exactly once: each shard applies only its own side), and the restored catalog says which shard owns each
/// chunk at the target, so a document copied by a migration not committed by then is an orphan the router never
/// returns. The target is checked before anything is written: the same number of shards (their names may differ: the
/// catalog is restored under the target's), and no data. Each replica set's restore is a <see cref="RestoreExecutor"/> of its own (resumable, marked, checked).
/// </summary>
/// <param name="replicaSetsAtOnce">How many replica sets are restored at once (default: all of them; 1 restores one after another).</param>
public sealed class ShardedRestore(IObjectStore store, RepositoryLayout layout, IMongoClient targetRouter, Func<ReplicaSetEndpoint, IMongoClient> connect, RestoreOptions? options = null, int? replicaSetsAtOnce = null)
{
    private readonly RestoreOptions _options = options ?? new RestoreOptions();

    /// <summary>Plans the restore to <paramref name="to"/> from the repository's catalog (every component must reach it), then runs it.</summary>
    public async Task<ShardedRestoreReport> RunAsync(RecoveryTarget to, CancellationToken cancellationToken = default)
    {
        var catalog = await RepositoryCatalog.LoadAsync(store, layout, cancellationToken);
        var result = catalog.PlanRestore(to, _options.Time.GetUtcNow(), _options.Timeline);
        var plan = result.Plan ?? throw new RestoreRefusedException($"Cannot restore to {to}: {result.Refusal!.Message}") { Refusal = result.Refusal };
        return await RunAsync(plan, cancellationToken);
    }

    public async Task<ShardedRestoreReport> RunAsync(RestorePlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var backup = plan.BaseBackup;
        if (!backup.IsSharded)
        {
            throw new RestoreRefusedException($"Backup {backup.Id} is a replica set's ({string.Join(", ", backup.Components)}), not a sharded cluster's: restore it into a replica set");
        }

        if (plan.Segments.Select(s => s.Component).Distinct().Count() != plan.Segments.Count)
        {
            throw new RestoreRefusedException($"The plan to {plan.Target} crosses a restore's branch; a sharded cluster is restored from its own history only");
        }

        var topology = await ShardedTopology.DiscoverAsync(targetRouter, cancellationToken);
        var shards = InShardOrder(backup.ShardComponents).ToList();
        var targetShards = InShardOrder(topology.Shards.Select(s => s.Shard)).ToList();
        CheckShape(backup.Id, shards, targetShards);
        // A restore taken up again (its node stopped part way) finds the target as it left it: each replica set's own
        // restore resumes from its marker, or is done (its lineage), and checks its own target otherwise.
        if (!await ResumesAsync(topology, cancellationToken)) await CheckEmptyAsync(cancellationToken);

        // The i-th shard of the source (by name, numbers in order) into the i-th of the target: the same shards when the
        // names match (KubeDB names shards shard0, shard1, ... in every database: ShardRepSetName in kubedb/apimachinery
        // apis/kubedb/v1/mongodb_helpers.go); under the target's names otherwise (a shard prefix of its own, clusters
        // set up by other means), renamed in the restored catalog.
        var targets = new Dictionary<string, ReplicaSetEndpoint>(StringComparer.Ordinal) { [backup.ConfigServer!] = topology.ConfigServer };
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < shards.Count; i++)
        {
            targets[shards[i]] = topology.Shards.Single(s => s.Shard == targetShards[i]);
            if (shards[i] != targetShards[i]) renamed[shards[i]] = targetShards[i];
        }

        // One cluster time for every replica set: a time target becomes the newest cluster time written by then.
        var asked = plan.Target;
        var newest = await NewestIncludedAsync(plan, cancellationToken);
        if (plan.Target.Kind == RecoveryTargetKind.Time)
        {
            plan = plan with { Target = RecoveryTarget.AtTs(newest.Ts) };
        }

        await CheckShardsUnchangedAsync(plan, cancellationToken);
        // The branch's time, the same in every replica set's lineage: the time asked for, or the wall of the cluster's
        // entry at the ts asked for (each replica set's own last entry would differ, and the first to open the restored
        // cluster's timeline would decide).
        var branchWall = asked.LastWallUnixMs ?? newest.WallUnixMs;

        using var turns = new SemaphoreSlim(Math.Max(1, replicaSetsAtOnce ?? backup.Components.Count));
        var restores = backup.Components.Select(async component =>
        {
            await turns.WaitAsync(cancellationToken);
            try
            {
                return await RestoreComponentAsync(plan, branchWall, component, targets[component], renamed.Count > 0 ? renamed : null, cancellationToken);
            }
            finally
            {
                turns.Release();
            }
        }).ToList();
        var reports = await Task.WhenAll(restores);
        return new ShardedRestoreReport(backup.Id, plan.Target.ToString(), backup.Components.Zip(reports).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));
    }

    private async Task<RestoreReport> RestoreComponentAsync(RestorePlan plan, long branchWall, string component, ReplicaSetEndpoint target, IReadOnlyDictionary<string, string>? renamed, CancellationToken cancellationToken)
    {
        var view = plan.BaseBackup.ForComponent(component);
        var segments = plan.Segments.Where(s => s.Component == component).ToList();
        var sub = new RestorePlan(plan.Target, plan.Timeline, view, [.. plan.Components.Where(c => c.Component == component)], view.TotalStoredBytes + segments.Sum(s => s.Chunks.Sum(c => c.Range.SizeBytes)))
        {
            BasePrefix = plan.BasePrefix,
            Segments = segments,
            SourceOwner = plan.SourceOwner,
        };
        var isConfig = component == plan.BaseBackup.ConfigServer;
        var options = _options with
        {
            RestoreId = $"{_options.RestoreId}-{component}",
            // The config server brings the catalog (and the cluster's users); the shards the data. Its other config.*
            // collections (the target's own shards, settings, sessions) stay the target's.
            IncludeDatabase = isConfig ? name => name == "config" || (name is not ("admin" or "local") && _options.IncludeDatabase(name)) : _options.IncludeDatabase,
            IncludeCollection = isConfig ? (db, name) => db != "config" || ShardedLogicalBackup.ConfigCollections.Contains(name) : _options.IncludeCollection,
            RestoreUsersAndRoles = isConfig && _options.RestoreUsersAndRoles,
            ResolvePreparedTransactions = true,
            // A sharded collection has one UUID on every shard, the one config.collections names.
            PreserveCollectionUuids = !isConfig,
            ShardNames = isConfig ? renamed : null,
            // Every replica set was restored to this one cluster time: the restored cluster's timeline branches there.
            BranchedAfter = plan.Target.LastTs,
            BranchedAtWallUnixMs = branchWall,
        };
        return await new RestoreExecutor(store, layout, connect(target), options).RunAsync(sub, progress: null, cancellationToken);
    }

    /// <summary>
    /// The newest entry any replica set wrote that the plan's target includes (the backup's consistent point if none
    /// did): a time target becomes that one cluster time, and each replica set is restored to it. Replica sets' clocks
    /// differ, cluster times do not, so a write another shard made before it, whatever its own wall said, is in; one after
    /// it is out. Its wall dates the restored cluster's branch when the target was a <c>ts</c>.
    /// </summary>
    private async Task<(OplogTimestamp Ts, long WallUnixMs)> NewestIncludedAsync(RestorePlan plan, CancellationToken cancellationToken)
    {
        var newest = (Ts: plan.BaseBackup.ConsistentAt, WallUnixMs: plan.BaseBackup.ConsistentWallUnixMs);
        using var reader = new OplogChunkReader(store);
        foreach (var segment in plan.Segments)
        {
            if (segment.Chunks.LastOrDefault(c => !StartsPast(plan.Target, c)) is not { } last) continue;
            var chunk = await reader.ReadAsync(last.Key, cancellationToken);
            foreach (var entry in chunk.Entries)
            {
                if (!plan.Target.IsPast(entry) && entry.Ts > newest.Ts) newest = (entry.Ts, entry.WallUnixMs);
            }
        }

        return newest;
    }

    /// <summary>Whether a chunk's first entry is past <paramref name="target"/>, and so every entry of it.</summary>
    private static bool StartsPast(RecoveryTarget target, ChunkDescriptor chunk) =>
        target.IsPast(new OplogEntry(chunk.Range.First, chunk.Range.FirstWallUnixMs, default));

    /// <summary>
    /// Refuses, before anything is written, a plan across a change of the source's shards: an <c>addShard</c> or
    /// <c>removeShard</c> (a write to <c>config.shards</c> in the config server's oplog) after the backup and by the
    /// target. From there the replayed catalog names shards the backup does not hold (chunks moved to a new one), and
    /// the restored cluster would lose their data without saying so. The catalog ends a backup's window where a shard
    /// it does not hold began to be archived; this also holds when that shard's oplog was never archived.
    /// </summary>
    private async Task CheckShardsUnchangedAsync(RestorePlan plan, CancellationToken cancellationToken)
    {
        var backup = plan.BaseBackup;
        var keys = plan.Segments.Where(s => s.Component == backup.ConfigServer)
            .SelectMany(s => s.Chunks.Where(c => c.Range.Last > backup.ReplayAfter && !StartsPast(plan.Target, c)))
            .Select(c => c.Key)
            .ToList();
        // A merged object's frames come in order; a few objects are read at once, as the replay reads them.
        await foreach (var chunk in ChunkReadAhead.ReadAsync(store, keys, Math.Max(1, _options.ReadAhead), cancellationToken))
        {
            foreach (var entry in chunk.Entries)
            {
                if (entry.Ts <= backup.ReplayAfter || plan.Target.IsPast(entry)) continue;
                if (ShardAddedOrRemoved(BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray())) is not { } change) continue;
                var when = DateTimeOffset.FromUnixTimeMilliseconds(entry.WallUnixMs);
                throw new RestoreRefusedException(
                    $"The source cluster's shards changed after backup {backup.Id} and by the target {plan.Target}: shard {change.Shard} was {change.What} at {when:O} ({entry.Ts}). "
                    + $"Backup {backup.Id} holds {string.Join(", ", backup.Components)}: restore to a point before {when:O}, or from a full backup taken since");
            }
        }
    }

    /// <summary>
    /// A shard added or removed by this config server entry: an insert or delete of <c>config.shards</c>, on its own or
    /// inside a transaction's <c>applyOps</c> (from 6.0 addShard and removeShard write it in an internal transaction,
    /// src/mongo/db/s/config/sharding_catalog_manager_shard_operations.cpp). Updates are not: the config server rewrites a
    /// shard's hosts when its members change, and removeShard marks it draining first, its data moving to shards that stay.
    /// </summary>
    private static (string Shard, string What)? ShardAddedOrRemoved(BsonDocument entry)
    {
        if (entry.GetValue("op", "").AsString == "c" && entry.GetValue("o", null) is BsonDocument command && command.GetValue("applyOps", null) is BsonArray ops)
        {
            foreach (var op in ops.OfType<BsonDocument>())
            {
                if (ShardAddedOrRemoved(op) is { } inner) return inner;
            }

            return null;
        }

        if (entry.GetValue("ns", "").AsString != "config.shards") return null;
        return entry.GetValue("op", "").AsString switch
        {
            "i" => (entry.GetValue("o", new BsonDocument()).AsBsonDocument.GetValue("_id", "?").ToString()!, "added"),
            "d" => (entry.GetValue("o", new BsonDocument()).AsBsonDocument.GetValue("_id", "?").ToString()!, "removed"),
            _ => null,
        };
    }

    /// <summary>The same number of shards: each shard's data goes to one shard of the target, whose catalog names it.</summary>
    private static void CheckShape(string backupId, IReadOnlyList<string> shards, IReadOnlyList<string> targetShards)
    {
        if (targetShards.Count != shards.Count)
        {
            throw new RestoreRefusedException(
                $"Backup {backupId} is of a cluster of {shards.Count} shard(s) ({string.Join(", ", shards)}); the target has {targetShards.Count} ({string.Join(", ", targetShards)}): "
                + "restore into a cluster of the same shards");
        }
    }

    /// <summary>Shard names in order, numbers by value (<c>mg-shard2</c> before <c>mg-shard10</c>), so two clusters' shards pair up by position.</summary>
    private static IEnumerable<string> InShardOrder(IEnumerable<string> names) =>
        names.OrderBy(n => n.TrimEnd("0123456789".ToCharArray()), StringComparer.Ordinal)
            .ThenBy(n => long.TryParse(n.AsSpan(n.TrimEnd("0123456789".ToCharArray()).Length), out var number) ? number : -1)
            .ThenBy(n => n, StringComparer.Ordinal);

    /// <summary>Whether a replica set of the target holds this restore's marker or lineage (<c>{RestoreId}-{component}</c>): this restore ran into it before.</summary>
    private async Task<bool> ResumesAsync(ShardedTopology topology, CancellationToken cancellationToken)
    {
        var mine = _options.RestoreId + "-";
        foreach (var set in topology.ReplicaSets)
        {
            var client = connect(set);
            if ((await RestoreMarker.ListAsync(client, cancellationToken)).Any(m => m["_id"].IsString && m["_id"].AsString.StartsWith(mine, StringComparison.Ordinal))) return true;
            if (await LineageRecord.FinishedAsync(client, cancellationToken) is { } finished && finished.RestoreId.StartsWith(mine, StringComparison.Ordinal)) return true;
        }

        return false;
    }

    /// <summary>No database of the target holds anything yet (its catalog neither), as for a replica set's restore.</summary>
    private async Task CheckEmptyAsync(CancellationToken cancellationToken)
    {
        var names = await (await targetRouter.ListDatabaseNamesAsync(cancellationToken)).ToListAsync(cancellationToken);
        var occupied = names.Where(n => n != RestoreMarker.Database && _options.OwnsTargetDatabase(n)).ToList();
        var catalogued = await targetRouter.GetDatabase("config").GetCollection<BsonDocument>("databases")
            .Find(FilterDefinition<BsonDocument>.Empty).Project(new BsonDocument("_id", 1)).ToListAsync(cancellationToken);
        occupied.AddRange(catalogued.Select(d => d["_id"].AsString).Where(n => !occupied.Contains(n)));
        if (occupied.Count > 0)
        {
            throw new RestoreRefusedException($"The target cluster is not empty: it already has database(s) {string.Join(", ", occupied)}.");
        }
    }
}
