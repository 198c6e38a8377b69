using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.Ports;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Tests;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Bench.Actors;

/// <summary>
/// The <c>actors</c> group's scale figures, on one embedded node (sharding, SQLite journal, the real ops request
/// steps over the in-process store), size from <c>ARCHIVER_BENCH_SCALE</c> as <c>archivers x databases</c> (default
/// the issue's 100x10000), each archiver selecting its share of the databases by label:
/// <list type="bullet">
/// <item><c>actors.configure-AxD</c>: from apply until every database carries its archiver's spec-hash, beside the
/// same configure steps run for every database in a plain loop over a store (no actors, no journal): the floor.</item>
/// <item><c>actors.idle-entity-bytes</c>: then, with nothing in flight, the heap the node holds per live entity.</item>
/// <item><c>actors.spec-change-p99-ms</c>: then, one archiver at a time, a schedule change, timed until the ops
/// requests for all its databases exist.</item>
/// </list>
/// A stage that cannot finish stops at its deadline and reports how far it got rather than hang.
/// </summary>
internal sealed class ScaleBenchmark : IBenchmarkGroup
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ChangeDeadline = TimeSpan.FromSeconds(60);

    // After one archiver's ops requests end: their passivation and the archiver's last status write.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    /// <summary>The budget for configuring: per database, on the 2-core build machine (docs/performance.md says why).</summary>
    private const double BudgetPerDatabaseSeconds = 0.02;
    private const double IdleEntityBudgetBytes = 20 * 1024;
    private const double SpecChangeBudgetMs = 100;

    public string Name => "actors";

    public async Task RunAsync(BenchReport report)
    {
        var (archivers, databases) = Size();
        var floor = await StepsAloneAsync(archivers, databases);
        Console.WriteLine($"# scale: the configure steps alone, for {databases} databases in a loop over the store: {floor.TotalSeconds:0.0} s");

        var folder = Directory.CreateTempSubdirectory("archiver-scale-").FullName;
        var store = new InMemoryResourceStore();
        var workloads = new InProcessWorkloads();
        await store.CreateAsync(Storage());
        await using var watch = ScaleWatch.Start(store);
        await using var node = await ArchiverNode.StartAsync(
            new ArchiverNodeOptions { Journal = JournalOptions.Sqlite(Path.Combine(folder, "journal.db")) },
            store, workloads, new OpsRequestSteps(store, workloads, TimeProvider.System), hocon: "akka.loglevel = OFF\nakka.stdout-loglevel = OFF",
            objectStores: new FolderStores(Path.Combine(folder, "storage")));
        var empty = Heap();

        // Configure: apply everything, wait until every database carries its archiver's spec-hash.
        var cpu = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        var hashes = new string[archivers];
        for (var a = 0; a < archivers; a++)
        {
            var archiver = Archiver(a);
            hashes[a] = SpecHash.Compute(archiver.Spec!);
            await store.CreateAsync(archiver);
        }

        for (var d = 0; d < databases; d++) await store.CreateAsync(Database(d, d % archivers));
        int Configured() => Enumerable.Range(0, archivers).Sum(a => watch.Count($"a{a}", hashes[a]));
        var configured = await Until(() => Configured() >= databases, Configured, Deadline);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"# scale: {configured} of {databases} databases under {archivers} archivers configured in {seconds:0.0} s{(configured < databases ? " (deadline reached)" : "")}, using {(Environment.CpuUsage.TotalTime - cpu).TotalSeconds:0.0} s of CPU");
        report.WithinBudget($"actors.configure-{archivers}x{databases}", configured < databases ? double.PositiveInfinity : seconds, floor.TotalSeconds, databases * BudgetPerDatabaseSeconds, "s");
        if (configured < databases)
        {
            await ExplainAsync(store, hashes);
            return;
        }

        await IdleMemoryAsync(report, node, store, empty);
        await SpecChangesAsync(report, store, watch, archivers, databases / archivers);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>
    /// Heap held per live entity once nothing is in flight: the heap now less the heap of the node just started, less
    /// the store's share (the resources themselves, which in a cluster live in the API server), measured by loading
    /// the same resources into a second store. What remains is the entities, the node's cache of resources, the
    /// journal's buffers and the workloads' records: all of it charged to the entities.
    /// </summary>
    private static async Task IdleMemoryAsync(BenchReport report, ArchiverNode node, InMemoryResourceStore store, long empty)
    {
        // Terminal ops requests passivate after their last status write; wait for them to go.
        await Until(async () => await Entities<OpsRequestRegion>(node) == 0, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var held = Heap();
        var (archivers, databases, requests) = (await Entities<ArchiverRegion>(node), await Entities<DatabaseRegion>(node), await Entities<OpsRequestRegion>(node));
        var entities = archivers + databases + requests;
        var (storeShare, copy) = await StoreShareAsync(store);
        GC.KeepAlive(copy);
        var perEntity = (double)(held - empty - storeShare) / entities;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# idle: {archivers} archivers, {databases} databases, {requests} ops requests live; heap {held / 1048576.0:0.0} MiB, node alone {empty / 1048576.0:0.0} MiB, resources in the store {storeShare / 1048576.0:0.0} MiB; {perEntity / 1024:0.0} KiB per entity"));
        report.WithinBudget("actors.idle-entity-bytes", perEntity, IdleEntityBudgetBytes, IdleEntityBudgetBytes, "B");
        if (Environment.GetEnvironmentVariable("ARCHIVER_BENCH_HOLD_IDLE") is { } hold)
        {
            // Time to take a heap dump of the idle node (dotnet-gcdump collect -p <pid>) when the figure needs explaining.
            Console.WriteLine($"# idle: holding {hold} s for a heap dump of process {Environment.ProcessId}");
            await Task.Delay(TimeSpan.FromSeconds(double.Parse(hold, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>
    /// One schedule change per archiver in turn (each archiver's first since configuring, so none waits out the
    /// pause between one archiver's looks), timed until the ops requests for all its databases exist; the next
    /// change waits until those have configured every database and ended, and the node has been quiet for a
    /// moment, so each is measured as a user changing one archiver would see it, not behind the last one's work.
    /// </summary>
    private static async Task SpecChangesAsync(BenchReport report, InMemoryResourceStore store, ScaleWatch watch, int archivers, int perArchiver)
    {
        var changes = Math.Min(100, archivers);
        var latencies = new List<double>();
        var pauses = new List<(double Ms, int Gen2)>();
        var each = new List<double>();
        for (var k = 0; k < changes; k++)
        {
            var name = $"a{k}";
            var id = new ResourceId("bench", name);
            var current = (await store.GetAsync<MongoDBArchiver>(id))!;
            var spec = current.Spec! with { FullBackup = current.Spec!.FullBackup! with { Scheduler = new SchedulerOptions { Schedule = $"{k % 60} 3 * * *" } } };
            var hash = SpecHash.Compute(spec);
            var (pausedBefore, gen2Before) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2));
            var from = Stopwatch.GetTimestamp();
            var requests = watch.ExpectRequests(name, hash, perArchiver, from);
            // As a user's client writes it: on the version read, read again if the control plane wrote the archiver meanwhile.
            await store.UpdateAsync<MongoDBArchiver>(id, a => a with { Spec = spec }, read: current);
            if (await Task.WhenAny(requests, Task.Delay(ChangeDeadline)) != requests)
            {
                Console.WriteLine($"# spec change {k}: the ops requests for {name} did not all appear within {ChangeDeadline.TotalSeconds} s");
                report.WithinBudget("actors.spec-change-p99-ms", double.PositiveInfinity, SpecChangeBudgetMs, SpecChangeBudgetMs, "ms");
                return;
            }

            var (last, all) = await requests;
            latencies.Add(last.TotalMilliseconds);
            pauses.Add(((GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds, GC.CollectionCount(2) - gen2Before));
            each.AddRange(all.Select(t => t.TotalMilliseconds));
            await Until(() => watch.Count(name, hash) >= perArchiver && watch.Finished(name, hash) >= perArchiver, ChangeDeadline);
            await Task.Delay(Settle);
        }

        var slowest = string.Join(", ", latencies.Select((ms, k) => (ms, k)).OrderByDescending(p => p.ms).Take(3).Select(p => string.Create(CultureInfo.InvariantCulture, $"a{p.k} {p.ms:0} ms (GC paused {pauses[p.k].Ms:0} ms, {pauses[p.k].Gen2} gen2)")));
        Console.WriteLine($"# spec changes: slowest {slowest}");
        latencies.Sort();
        each.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# spec changes: {changes}, each causing {perArchiver} ops requests; until the last of them exists p50 {Percentile(latencies, 0.5):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {latencies[^1]:0.0} ms; per request p99 {Percentile(each, 0.99):0.0} ms"));
        report.WithinBudget("actors.spec-change-p99-ms", Percentile(latencies, 0.99), Percentile(latencies, 0.5), SpecChangeBudgetMs, "ms");
    }

    /// <summary>Why databases were left unconfigured: the ops requests for a few of them, with their phases.</summary>
    private static async Task ExplainAsync(InMemoryResourceStore store, string[] hashes)
    {
        var requests = (await store.ListAsync<MongoDBOpsRequest>("bench")).ToLookup(r => r.Spec?.DatabaseRef?.Name);
        var left = (await store.ListAsync<MongoDB>("bench"))
            .Where(db => (db.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var hash) == true ? hash : null) != hashes[int.Parse(db.Metadata.Labels!["archiver"][1..], CultureInfo.InvariantCulture)])
            .Take(5);
        foreach (var db in left)
        {
            var theirs = string.Join("; ", requests[db.Metadata.Name].Select(r => $"{r.Metadata.Name} {r.Status?.Phase} {r.Status?.Conditions?.LastOrDefault()?.Message}"));
            Console.WriteLine($"# not configured: {db.Metadata.Name} ({db.Metadata.Labels!["archiver"]}), ops requests: {(theirs.Length == 0 ? "none" : theirs)}");
        }
    }

    /// <summary>The reference: each database's configure steps (what its ops request does), run one after another over a fresh store.</summary>
    private static async Task<TimeSpan> StepsAloneAsync(int archivers, int databases)
    {
        var store = new InMemoryResourceStore();
        var steps = new OpsRequestSteps(store, new InProcessWorkloads(), TimeProvider.System);
        await store.CreateAsync(Storage());
        var hashes = new string[archivers];
        for (var a = 0; a < archivers; a++)
        {
            var archiver = Archiver(a);
            hashes[a] = SpecHash.Compute(archiver.Spec!);
            await store.CreateAsync(archiver);
        }

        for (var d = 0; d < databases; d++) await store.CreateAsync(Database(d, d % archivers));
        var started = Stopwatch.GetTimestamp();
        for (var d = 0; d < databases; d++)
        {
            var request = OpsRequestState.Empty(new ResourceId("bench", $"db{d}-configure")) with
            {
                Operation = ArchiverOperationType.ConfigureArchiver,
                DatabaseId = new ResourceId("bench", $"db{d}"),
                ArchiverId = new ResourceId("bench", $"a{d % archivers}"),
                SpecHash = hashes[d % archivers],
            };
            foreach (var step in OpsRequestPlans.Configure) await steps.RunAsync(step, request, CancellationToken.None);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The heap after full, compacting collections.</summary>
    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The heap a second store holding the same resources takes (and the store, kept alive until measured).</summary>
    private static async Task<(long Bytes, InMemoryResourceStore Copy)> StoreShareAsync(InMemoryResourceStore store)
    {
        var before = Heap();
        var copy = new InMemoryResourceStore();
        await CopyAsync<MongoDBArchiver>(store, copy);
        await CopyAsync<MongoDB>(store, copy);
        await CopyAsync<MongoDBOpsRequest>(store, copy);
        await CopyAsync<BackupConfiguration>(store, copy);
        await CopyAsync<Snapshot>(store, copy);
        await CopyAsync<BackupStorage>(store, copy);
        await CopyAsync<RetentionPolicy>(store, copy);
        return (Heap() - before, copy);
    }

    private static async Task CopyAsync<T>(InMemoryResourceStore from, InMemoryResourceStore to)
        where T : Resource
    {
        foreach (var resource in await from.ListAsync<T>()) await to.CreateAsync(resource);
    }

    private static async Task<int> Entities<TRegion>(ArchiverNode node)
    {
        var state = await node.Region<TRegion>().Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(30));
        return state.Shards.Sum(s => s.EntityIds.Count);
    }

    private static async Task<int> Until(Func<bool> done, Func<int> progress, TimeSpan deadline)
    {
        var started = Stopwatch.GetTimestamp();
        while (!done() && Stopwatch.GetElapsedTime(started) < deadline) await Task.Delay(50);
        return progress();
    }

    private static async Task Until(Func<bool> done, TimeSpan deadline) => await Until(done, () => 0, deadline);

    private static async Task Until(Func<Task<bool>> done, TimeSpan deadline)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await done() && Stopwatch.GetElapsedTime(started) < deadline) await Task.Delay(200);
    }

    private static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static (int Archivers, int Databases) Size()
    {
        var text = Environment.GetEnvironmentVariable("ARCHIVER_BENCH_SCALE") ?? "100x10000";
        var parts = text.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static MongoDBArchiver Archiver(int a) => (MongoDBArchiver)ManifestReader.Read($$$"""
        apiVersion: archiver.kubedb.com/v1alpha1
        kind: MongoDBArchiver
        metadata: {name: a{{{a}}}, namespace: bench}
        spec:
          databases: {selector: {matchLabels: {archiver: a{{{a}}} } } }
          fullBackup: {driver: Logical, scheduler: {schedule: "@daily"}}
          backupStorage: {ref: {name: local, namespace: bench}}
        """).Resources[0];

    private static MongoDB Database(int d, int archiver) => (MongoDB)ManifestReader.Read($$$"""
        apiVersion: kubedb.com/v1alpha2
        kind: MongoDB
        metadata: {name: db{{{d}}}, namespace: bench, labels: {archiver: a{{{archiver}}} } }
        spec: {version: "6.0.12"}
        """).Resources[0];

    private static BackupStorage Storage() => (BackupStorage)ManifestReader.Read("""
        apiVersion: storage.kubestash.com/v1alpha1
        kind: BackupStorage
        metadata: {name: local, namespace: bench}
        spec: {storage: {provider: local, local: {mountPath: /backups}}}
        """).Resources[0];
}
