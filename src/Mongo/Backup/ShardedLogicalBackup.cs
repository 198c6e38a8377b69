using Archiver.Mongo.Sharding;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Backup;

/// <summary>
/// A logical full backup of a sharded cluster, consistent across its shards as PBM's is: the balancer is stopped for
/// its duration (and started again on every path, if it ran), every shard and the config server are dumped at once,
/// each into its own component of one backup, and the backup is made consistent at one cluster time T1, the newest
/// entry any of them had when its dump ended. Each replica set's oplog is then brought past T1 (an
/// <c>appendOplogNote</c> on an idle one) and waited on until T1 is majority-committed there, so each component's
/// archive covers (T0, T1]; T0 is the earliest of their starts. Cluster times compare across shards (they are
/// gossiped), so replaying each shard's own oplog from T0 to T1 on its dump gives every shard's state at T1.
/// </summary>
public sealed class ShardedLogicalBackup(
    IMongoClient router,
    Func<ReplicaSetEndpoint, IMongoClient> connect,
    IObjectStore store,
    RepositoryLayout layout,
    ShardedLogicalBackupOptions options)
{
    /// <summary>
    /// What a sharded database's restore needs of the config server: where databases and chunks live, and zones.
    /// Not <c>config.shards</c> (the target cluster's own), not the balancer's settings, sessions or locks (PBM keeps
    /// the same list).
    /// </summary>
    public static readonly IReadOnlySet<string> ConfigCollections = new HashSet<string>(StringComparer.Ordinal) { "databases", "collections", "chunks", "tags", "version" };

    public async Task<BackupManifest> RunAsync(CancellationToken cancellationToken = default)
    {
        var startedAt = options.Time.GetUtcNow();
        var topology = await ShardedTopology.DiscoverAsync(router, cancellationToken);
        var sets = topology.ReplicaSets.ToList();
        var writer = new FullBackupWriter(store, layout, new BackupStart(DumpFormat.Driver, sets.Select(s => s.Component).ToList(), options.Timeline, startedAt) { ConfigServer = topology.ConfigServer.Component });
        try
        {
            await using var balancer = await BalancerPause.StopAsync(router, cancellationToken);
            var clients = sets.Select(connect).ToList();
            var dumps = sets.Select((set, i) => new LogicalBackup(clients[i], store, layout, OptionsFor(set))).ToList();
            var positions = await Task.WhenAll(dumps.Select(d => d.DumpAsync(writer, cancellationToken)));
            var t0 = positions.Min(p => p.T0);
            var last = positions.MaxBy(p => p.T1);
            await Task.WhenAll(sets.Select((set, i) => ReachAsync(clients[i], set, positions[i].T1, last.T1, cancellationToken)));
            await Task.WhenAll(dumps.Select(d => d.WaitForMajorityAsync(last.T1, cancellationToken)));
            return await writer.CompleteAsync(t0, last.T1, last.Wall1, options.Time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await writer.FailAsync(e.Message, options.Time.GetUtcNow(), CancellationToken.None);
            throw;
        }
    }

    private LogicalBackupOptions OptionsFor(ReplicaSetEndpoint set) => new()
    {
        Component = set.Component,
        Timeline = options.Timeline,
        FileNamePrefix = $"{set.Component}-",
        Parallelism = options.Parallelism,
        BatchSize = options.BatchSize,
        MajorityWait = options.MajorityWait,
        Time = options.Time,
        // The config server holds the catalog (and, through the router, the users of the cluster); shards hold the data.
        IncludeDatabase = set.IsConfigServer
            ? name => name is not ("admin" or "local") && options.IncludeDatabase(name) || name == "config"
            : name => name is not ("admin" or "config" or "local") && options.IncludeDatabase(name),
        IncludeCollection = set.IsConfigServer ? (db, name) => db != "config" || ConfigCollections.Contains(name) : (_, _) => true,
        UsersAndRoles = set.IsConfigServer && options.UsersAndRoles,
    };

    /// <summary>
    /// Brings a replica set whose newest entry is before the cluster-wide T1 past it: a no-op note, again until the
    /// set's clock has passed T1 (its clock is its own within a second). A server that refuses the note (the user lacks
    /// the <c>appendOplogNote</c> privilege) reaches T1 with its next periodic no-op, within 10 s; the wait for the
    /// majority that follows covers it.
    /// </summary>
    private async Task ReachAsync(IMongoClient client, ReplicaSetEndpoint set, OplogTimestamp newest, OplogTimestamp t1, CancellationToken cancellationToken)
    {
        var admin = client.GetDatabase("admin");
        var started = options.Time.GetTimestamp();
        while (newest <= t1 && options.Time.GetElapsedTime(started) < options.MajorityWait)
        {
            try
            {
                await admin.RunCommandAsync<BsonDocument>(new BsonDocument
                {
                    { "appendOplogNote", 1 },
                    { "data", new BsonDocument { { "msg", "archiver: sharded backup consistency point" }, { "replicaSet", set.ReplicaSet } } },
                }, cancellationToken: cancellationToken);
            }
            catch (MongoCommandException e) when (e.Code is 13 or 59)
            {
                return;
            }

            newest = await LogicalBackup.NewestTimestampAsync(client, cancellationToken);
            if (newest <= t1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), options.Time, cancellationToken);
            }
        }
    }
}
