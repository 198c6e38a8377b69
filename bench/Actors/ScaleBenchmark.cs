using System.Diagnostics;
using System.Globalization;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Tests;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Bench.Actors;

/// <summary>
/// The <c>actors</c> group's scale figure: archivers selecting databases on one embedded node (sharding, SQLite
/// journal, the real ops request steps over the in-process store), from apply until every database carries its
/// archiver's spec-hash. Size from <c>ARCHIVER_BENCH_SCALE</c> as <c>archivers x databases</c> (the issue's goal is
/// 100x10000); the run stops at a deadline and reports how far it got rather than hang.
/// </summary>
internal sealed class ScaleBenchmark : IBenchmarkGroup
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    public string Name => "actors";

    public async Task RunAsync(BenchReport report)
    {
        var (archivers, databases) = Size();
        var folder = Directory.CreateTempSubdirectory("archiver-scale-").FullName;
        var store = new InMemoryResourceStore();
        var workloads = new InProcessWorkloads();
        await store.CreateAsync(Storage());
        await using var node = await ArchiverNode.StartAsync(
            new ArchiverNodeOptions { Journal = JournalOptions.Sqlite(Path.Combine(folder, "journal.db")) },
            store, workloads, new OpsRequestSteps(store, workloads, TimeProvider.System), hocon: "akka.loglevel = OFF\nakka.stdout-loglevel = OFF");

        var started = Stopwatch.GetTimestamp();
        var hashes = new Dictionary<string, string>();
        for (var a = 0; a < archivers; a++)
        {
            var archiver = Archiver(a);
            hashes[$"a{a}"] = SpecHash.Compute(archiver.Spec!);
            await store.CreateAsync(archiver);
        }

        for (var d = 0; d < databases; d++) await store.CreateAsync(Database(d, d % archivers));

        int configured;
        do
        {
            await Task.Delay(500);
            configured = (await store.ListAsync<MongoDB>("bench")).Count(db =>
                db.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var hash) == true && hash == hashes[db.Metadata.Labels!["archiver"]]);
        }
        while (configured < databases && Stopwatch.GetElapsedTime(started) < Deadline);

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"# scale: {configured} of {databases} databases under {archivers} archivers configured in {seconds:0.0} s{(configured < databases ? " (deadline reached)" : "")}");
        // The issue sets no number for this figure; until it does, the deadline is the budget.
        report.WithinBudget($"actors.configure-{archivers}x{databases}", configured < databases ? double.PositiveInfinity : seconds, Deadline.TotalSeconds, Deadline.TotalSeconds, "s");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

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
