using System.Diagnostics;
using Akka.Actor;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.Tests;
using Archiver.Actors.Tests.Cluster;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Bench.Actors;

/// <summary>
/// The <c>actors</c> group's failover figure: a node hosting an ops request crashes; how long until the request
/// runs again on a survivor. Measured with our tuned cluster settings and beside it with Akka's defaults, each on
/// three fresh nodes and a fresh journal database of one PostgreSQL server (see docs/cluster.md).
/// </summary>
internal sealed class FailoverBenchmark : IBenchmarkGroup
{
    private const double BudgetSeconds = 10;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    // Heartbeats need a few samples before the failure detector judges fairly; both runs wait the same.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public string Name => "actors";

    public async Task RunAsync(BenchReport report)
    {
        // The scale figures alone, without the two minutes of three-node start-ups (e.g. while tuning them).
        if (Environment.GetEnvironmentVariable("ARCHIVER_BENCH_SKIP_FAILOVER") == "1") return;
        await using var postgres = await PostgresServer.StartAsync();
        var tuned = await FailoverAsync(postgres, fastFailover: true);
        var defaults = await FailoverAsync(postgres, fastFailover: false);
        report.WithinBudget("actors.failover", tuned.TotalSeconds, defaults.TotalSeconds, BudgetSeconds, "s");
    }

    private static async Task<TimeSpan> FailoverAsync(PostgresServer postgres, bool fastFailover)
    {
        var journal = await postgres.CreateDatabaseAsync(fastFailover ? "failover_tuned" : "failover_defaults");
        var steps = new ScriptedSteps(new InstantSteps());
        steps.Hold(OpsRequestStep.CreateBackupConfiguration);
        await using var cluster = await ThreeNodeCluster.StartAsync(
            journal, fastFailover, new InMemoryResourceStore(), new InProcessWorkloads(), steps, hocon: "akka.loglevel = OFF\nakka.stdout-loglevel = OFF");
        await cluster.WaitUntilFormedAsync(Patience);
        await Task.Delay(Settle);
        var id = new ResourceId("bench", "failover");
        await cluster.Node(cluster.Addresses[0]).Region<OpsRequestRegion>().Ask<OpsRequestState>(
            new StartOpsRequest(id, ArchiverOperationType.ConfigureArchiver, new ResourceId("bench", "db"), new ResourceId("bench", "archiver"), null), Patience);
        var held = await cluster.WaitForRunAsync(OpsRequestStep.CreateBackupConfiguration, Patience);
        var before = cluster.Runs.Count;

        var crashed = Stopwatch.GetTimestamp();
        await cluster.CrashAsync(held.Node);
        var again = await cluster.WaitForRunAsync(OpsRequestStep.CreateBackupConfiguration, Patience, since: before);
        var elapsed = Stopwatch.GetElapsedTime(crashed, again.At);
        Console.WriteLine($"# failover with {(fastFailover ? "tuned" : "Akka's default")} settings: {held.Node} crashed, running again on {again.Node} after {elapsed.TotalSeconds:0.0} s");
        return elapsed;
    }
}
