using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Connections;
using Archiver.Mongo.Sharding;
using Archiver.Storage.Layout;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Adapters;

/// <summary>
/// The embedded node's oplog archivers: what the sidecar does in a cluster, run in-process. When the control plane
/// turns archiving on for a database (<see cref="InProcessWorkloads.ArchivingChanged"/>), an <see cref="OplogArchiver"/>
/// tails its replica set into its repository; its status becomes the database's <see cref="ArchivingReport"/>, and
/// each published chunk makes the StorageIndex read the folder again. A run that cannot start (no connection, a
/// foreign history) is retried and its reason reported, never dropped.
/// </summary>
public sealed class InProcessOplogArchivers(
    InProcessWorkloads workloads,
    IResourceStore resources,
    MongoConnections connections,
    DatabaseRepositories repositories,
    ActorRegistry registry,
    TimeProvider clock,
    ILogger<InProcessOplogArchivers> log,
    OplogArchiverMetrics? metrics = null) : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<ResourceId, Run> _runs = new();

    // Changes are applied one at a time, in order: a quick stop-then-start must never leave two runs or none.
    private readonly Channel<(ResourceId Database, ArchivingSpec? Spec)> _changes = Channel.CreateUnbounded<(ResourceId, ArchivingSpec?)>();
    private Task _applying = Task.CompletedTask;

    /// <summary>The archivers running now, for inspection.</summary>
    public IReadOnlyDictionary<ResourceId, OplogArchiverStatus?> Running =>
        _runs.ToDictionary(r => r.Key, r => r.Value.Archiver?.Status);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        workloads.ArchivingChanged += OnArchivingChanged;
        foreach (var (database, spec) in workloads.Archiving) OnArchivingChanged(database, spec);
        _applying = Task.Run(ApplyChangesAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        workloads.ArchivingChanged -= OnArchivingChanged;
        _changes.Writer.TryComplete();
        await _applying;
        await Task.WhenAll(_runs.Keys.ToList().Select(StopAsync));
    }

    // The caller is an actor's step: it only queues the change.
    private void OnArchivingChanged(ResourceId database, ArchivingSpec? spec) => _changes.Writer.TryWrite((database, spec));

    private async Task ApplyChangesAsync()
    {
        await foreach (var (database, _) in _changes.Reader.ReadAllAsync())
        {
            // What is wanted now, not what the event carried: two changes raised at once may arrive in either order.
            var wanted = workloads.Archiving.GetValueOrDefault(database);
            if (_runs.TryGetValue(database, out var running) && running.Spec == wanted) continue;
            await StopAsync(database);
            if (wanted is not null) Start(database, wanted);
        }
    }

    private void Start(ResourceId database, ArchivingSpec spec)
    {
        var run = new Run(spec);
        if (!_runs.TryAdd(database, run)) return;
        run.Task = Task.Run(() => RunAsync(database, run));
    }

    private async Task StopAsync(ResourceId database)
    {
        if (!_runs.TryRemove(database, out var run)) return;
        await run.Stop.CancelAsync();
        await run.Task;
        run.Stop.Dispose();
    }

    private async Task RunAsync(ResourceId database, Run run)
    {
        var stop = run.Stop.Token;
        var uid = run.Spec.DatabaseUid;
        string? lastProblem = null;
        var problemSince = DateTimeOffset.MinValue;
        while (!stop.IsCancellationRequested)
        {
            string component = "rs0";
            string? replicaSet = null;
            MongoDB.Driver.IMongoClient? client = null;
            try
            {
                var repository = await repositories.ResolveAsync(database, stop);
                if (uid is not null && repository.Database.Metadata.Uid != uid)
                {
                    throw new ArchivingRevokedException($"MongoDB {database} is another database now (uid {repository.Database.Metadata.Uid}, archiving was for {uid})");
                }

                client = await connections.ClientForAsync(repository.Database, stop);
                if (await ShardedTopology.IsRouterAsync(client, stop))
                {
                    component = ArchivingReport.ClusterComponent;
                    lastProblem = null;
                    await RunShardedAsync(database, run, repository, client, stop);
                    continue;
                }

                component = replicaSet = await MongoConnections.ReplicaSetNameAsync(client, stop);
                var start = await repository.StreamAsync(client, clock, stop);
                // Measured as the sidecar measures its own: chunk uploads, lag, headroom (archiver_oplog_*).
                using var measured = metrics?.For(database.Namespace, database.Name, component);
                // A restored database's history starts after its restore's last write (see ArchivingTimeline).
                var archiver = new OplogArchiver(client, repository.Store, repository.Layout, Options(database, run, repository, component, start.Timeline.Id, start.StartAfter, measured));
                long published = 0;
                archiver.StatusChanged += (_, status) =>
                {
                    workloads.Report(database, ToReport(status, clock.GetUtcNow()), uid);
                    if (status.ChunksPublished == published) return;
                    published = status.ChunksPublished;
                    registry.Get<StorageIndexRegion>().Tell(new RefreshCatalog(repository.StorageId, repository.Layout.Prefix));
                };
                run.Archiver = archiver;
                lastProblem = null;
                await archiver.RunAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var refusal = e switch
                {
                    ForeignHistoryException => ArchivingRefusals.ForeignHistory,
                    RestoreUnfinishedException => ArchivingRefusals.RestoreUnfinished,
                    _ => null,
                };

                // One line in the status, with since when; the whole exception in the log, once per cause, not at every retry.
                var problem = MongoFailure.Describe(e, client?.Cluster?.Description, replicaSet ?? client?.Settings.ReplicaSetName);
                if (problem != lastProblem)
                {
                    log.LogWarning(e, "oplog archiving of {Database} cannot run: {Reason}", database, problem);
                    problemSince = clock.GetUtcNow();
                }

                lastProblem = problem;
                workloads.Report(database, new ArchivingReport(component, null, null, null, null, Since(problem, problemSince), clock.GetUtcNow())
                {
                    Refusal = refusal,
                    ProblemReason = refusal is null && MongoFailure.IsUnreachable(e) ? ArchiverConditionTypes.SourceUnavailable : null,
                }, uid);
                try
                {
                    await Task.Delay(RetryDelay, clock, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// A sharded cluster: one stream per replica set (the config server and every shard), each filed under its
    /// replica set's name on the database's one timeline, each starting after its own restore's last write when the
    /// cluster was restored. Their reports make the database's (<see cref="ArchivingReport.Combine"/>). A stream that
    /// fails stops the others, and the whole run is retried as one: a cluster archived in part is not archived.
    /// </summary>
    private async Task RunShardedAsync(ResourceId database, Run run, DatabaseRepository repository, MongoDB.Driver.IMongoClient router, CancellationToken stop)
    {
        var uid = run.Spec.DatabaseUid;
        var topology = await ShardedTopology.DiscoverAsync(router, stop);
        var connect = connections.ReplicaSets(router);
        var sets = topology.ReplicaSets.ToList();
        var reports = new ArchivingReport?[sets.Count];
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var archivers = new List<OplogArchiver>();
        var measures = new List<IDisposable>();
        try
        {
            for (var i = 0; i < sets.Count; i++)
            {
                var client = connect(sets[i]);
                // Each replica set opens the database's one timeline as its sidecar would (a restored cluster's replica
                // sets name the same branch) and starts after its own restore's last write.
                var start = await repository.StreamAsync(client, clock, stop);
                var index = i;
                var measured = metrics?.For(database.Namespace, database.Name, sets[i].Component);
                if (measured is not null) measures.Add(measured);
                var archiver = new OplogArchiver(client, repository.Store, repository.Layout, Options(database, run, repository, sets[i].Component, start.Timeline.Id, start.StartAfter, measured));
                long published = 0;
                archiver.StatusChanged += (_, status) =>
                {
                    ArchivingReport[] parts;
                    lock (reports)
                    {
                        reports[index] = ToReport(status, clock.GetUtcNow());
                        parts = [.. reports.Select((r, k) => r ?? new ArchivingReport(sets[k].Component, null, null, null, null, null, clock.GetUtcNow()))];
                    }

                    workloads.Report(database, ArchivingReport.Combine(parts, clock.GetUtcNow()), uid);
                    // A replica set whose archive ends before the others' (idle: only its periodic no-ops come) publishes them
                    // now rather than an idle flush later, so the cluster's recoverable point follows the busy ones.
                    if (parts.Max(p => p.WalEnd) is { } newest)
                    {
                        for (var k = 0; k < parts.Length && k < archivers.Count; k++)
                        {
                            if (parts[k].WalEnd is { } end && end < newest) archivers[k].FlushSoon();
                        }
                    }

                    if (Interlocked.Exchange(ref published, status.ChunksPublished) == status.ChunksPublished) return;
                    registry.Get<StorageIndexRegion>().Tell(new RefreshCatalog(repository.StorageId, repository.Layout.Prefix));
                };
                archivers.Add(archiver);
            }

            run.Archiver = archivers[0];
            var runs = archivers.Select(async a =>
            {
                try
                {
                    await a.RunAsync(failed.Token);
                }
                catch
                {
                    await failed.CancelAsync();
                    throw;
                }
            }).ToList();
            // A shard added (or removed) while the streams run: they stop, and the run starts again with every replica
            // set the cluster has now. A shard nobody archives would hold data (the balancer moves chunks to it) that no
            // restore could bring back, while the others' archives said the cluster was covered.
            string? changed = null;
            var watching = Task.Run(async () =>
            {
                changed = await TopologyChangeAsync(router, sets, TopologyPoll(run.Spec), set => repository.StreamAsync(connect(set), clock, failed.Token), failed.Token);
                log.LogInformation("oplog archiving of {Database}: {Change}; its streams start again with every replica set it has now", database, changed);
                await failed.CancelAsync();
            }, CancellationToken.None);
            try
            {
                await Task.WhenAll(runs);
            }
            catch (OperationCanceledException) when (changed is not null && !stop.IsCancellationRequested)
            {
                // Stopped for the new topology: the caller's loop starts the run again at once.
            }
            finally
            {
                await failed.CancelAsync();
                await watching.ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            // Each replica set's series goes with its stream, as a replica set's does when its run ends.
            foreach (var measured in measures) measured.Dispose();
        }
    }

    /// <summary>
    /// How often a sharded cluster's replica sets are listed again: as often as a chunk is cut, between 1 and 10 s, so a
    /// new shard's first writes are archived long before its oplog could roll over.
    /// </summary>
    private static TimeSpan TopologyPoll(ArchivingSpec spec) =>
        TimeSpan.FromTicks(Math.Clamp(spec.ChunkMaxAge.Ticks, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(10).Ticks));

    /// <summary>
    /// Waits until the router lists other replica sets than <paramref name="running"/> and every new one can be opened
    /// (<paramref name="open"/>), and says what changed. A new replica set that cannot be opened yet (not reachable from
    /// here, a restore into it unfinished) leaves the running streams alone: stopping them for it would leave the whole
    /// cluster unarchived while it cannot start; it is tried again at the next poll.
    /// </summary>
    private async Task<string> TopologyChangeAsync(
        MongoDB.Driver.IMongoClient router, IReadOnlyList<ReplicaSetEndpoint> running, TimeSpan poll, Func<ReplicaSetEndpoint, Task> open, CancellationToken cancellation)
    {
        string? lastProblem = null;
        // By name only: a replica set whose members change (hosts added or replaced) is still the same stream.
        static string Key(ReplicaSetEndpoint set) => $"{set.Component}={set.ReplicaSet}";
        var before = running.Select(Key).ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            await Task.Delay(poll, clock, cancellation);
            ShardedTopology now;
            try
            {
                now = await ShardedTopology.DiscoverAsync(router, cancellation);
            }
            catch (Exception) when (!cancellation.IsCancellationRequested)
            {
                // The router unreachable or answering oddly for now: the streams say what is wrong with the cluster
                // themselves; the topology is looked at again at the next poll.
                continue;
            }

            var after = now.ReplicaSets.Select(Key).ToHashSet(StringComparer.Ordinal);
            if (after.SetEquals(before)) continue;
            var newcomers = now.ReplicaSets.Where(s => !before.Contains(Key(s))).ToList();
            try
            {
                foreach (var set in newcomers) await open(set);
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested)
            {
                var problem = $"{string.Join(", ", newcomers.Select(s => s.Component))} joined the cluster but cannot be archived yet: {e.Message.Split('\n')[0]}";
                if (problem != lastProblem) log.LogWarning("oplog archiving of the cluster behind {Router}: {Problem}; the other replica sets are archived on", router.Settings.Server, problem);
                lastProblem = problem;
                continue;
            }

            var joined = newcomers.Select(s => s.Component).ToList();
            var left = running.Where(s => !after.Contains(Key(s))).Select(s => s.Component).ToList();
            return string.Join("; ", new[]
            {
                joined.Count > 0 ? $"{string.Join(", ", joined)} joined the cluster" : null,
                left.Count > 0 ? $"{string.Join(", ", left)} left it" : null,
            }.Where(p => p is not null));
        }
    }

    /// <summary>One stream's settings: the archiving spec's, its component and where it starts.</summary>
    private OplogArchiverOptions Options(ResourceId database, Run run, DatabaseRepository repository, string component, uint timeline, Storage.OplogTimestamp? startAfter, Mongo.Archiving.DatabaseOplogMetrics? measured) => new()
    {
        Component = component,
        Timeline = timeline,
        StartAfter = startAfter,
        ChunkMaxAge = run.Spec.ChunkMaxAge,
        IdleFlushInterval = run.Spec.IdleFlush ?? ArchivingSpec.DefaultIdleFlush,
        ChunkMaxBytes = run.Spec.ChunkMaxSize,
        Time = clock,
        Logger = log,
        // Deleting the database stops its stream at the next chunk, before the control plane has even looked.
        PublishAllowed = token => StillArchivedAsync(database, repository.Database.Metadata.Uid, token),
        Metrics = measured,
    };

    /// <summary>The database this run archives still exists as the same incarnation and is not being deleted.</summary>
    private async Task<bool> StillArchivedAsync(ResourceId database, string? uid, CancellationToken cancellation) =>
        await resources.GetAsync<Messages.Resources.MongoDB>(database, cancellation) is { } db
        && db.Metadata.Uid == uid && db.Metadata.DeletionTimestamp is null;

    /// <summary>An archiver's status as the control plane reads it; the sidecar publishes the same.</summary>
    internal static ArchivingReport ToReport(OplogArchiverStatus status, DateTimeOffset now) => new(
        status.Component,
        status.WalSegmentStartWall,
        status.WalSegmentEndWall,
        status.Lag,
        status.OplogHeadroom,
        status.Conditions.Count > 0 ? string.Join("; ", status.Conditions.Select(c => Since(c.Message, c.Since))) : status.LastError,
        status.UpdatedAt == default ? now : status.UpdatedAt)
    {
        ProblemReason = status.Conditions.Count > 0 ? status.Conditions[0].Type : null,
    };

    /// <summary>
    /// A problem's line with the time it was first seen (<c>..., since 15:55:24Z</c>): how long a database has been
    /// unreachable is what the reader asks next, and the time stays fixed while the cause does, so the status is not
    /// rewritten at every retry.
    /// </summary>
    internal static string Since(string message, DateTimeOffset since) =>
        $"{message}, since {Messages.Validation.Rfc3339.FormatSeconds(since)}";

    private sealed class Run(ArchivingSpec spec)
    {
        public ArchivingSpec Spec { get; } = spec;

        public CancellationTokenSource Stop { get; } = new();

        public Task Task { get; set; } = Task.CompletedTask;

        public OplogArchiver? Archiver { get; set; }
    }
}
