using System.Diagnostics;
using Akka.Actor;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>Three nodes on one PostgreSQL journal: an ops request outlives the node it runs on.</summary>
// Needs a server of its own (PostgreSQL and three nodes): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(PostgresCollection.Name)]
public sealed class ThreeNodeFailoverSpecs(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_ops_request_whose_node_crashes_between_steps_finishes_on_a_survivor_with_each_side_effect_done_once()
    {
        // The archiver is paused so its own entity issues no request of its own: this test follows one request
        // started by hand. Pause is not part of the spec-hash, so the request's steps still accept the archiver.
        var paused = Fixtures.Archiver() with { Spec = Fixtures.Archiver().Spec! with { Pause = true } };
        var store = await Fixtures.StoreWithAsync(paused, Fixtures.Database());
        var workloads = new InProcessWorkloads();
        var steps = new ScriptedSteps(new OpsRequestSteps(store, workloads, TimeProvider.System));
        // The crash comes after the BackupConfiguration is created and before the pods restart.
        steps.Hold(OpsRequestStep.StartArchiving);
        using var watching = new CancellationTokenSource();
        var created = CountBackupConfigurationsCreatedAsync(store, watching.Token);
        var id = new ResourceId("demo", "mg-rs-configure");
        var hash = SpecHash.Compute(Fixtures.Archiver().Spec!);

        await using var cluster = await ThreeNodeCluster.StartAsync(await postgres.DatabaseForAsync(GetType()), fastFailover: true, store, workloads, steps);
        await cluster.WaitUntilFormedAsync(Patience);
        var accepted = await cluster.Node(cluster.Addresses[0]).Region<OpsRequestRegion>().Ask<OpsRequestState>(
            new StartOpsRequest(id, ArchiverOperationType.ConfigureArchiver, Fixtures.DatabaseId, Fixtures.ArchiverId, hash), Patience);
        Assert.True(accepted.IsAccepted);
        var held = await cluster.WaitForRunAsync(OpsRequestStep.StartArchiving, Patience);
        var before = cluster.Runs.Count;

        var crashed = Stopwatch.StartNew();
        await cluster.CrashAsync(held.Node);

        // No message is sent: the remembered entity restarts on a survivor and resumes from the journal.
        var rerun = await cluster.WaitForRunAsync(OpsRequestStep.StartArchiving, Patience, since: before);
        output.WriteLine($"{held.Node} crashed; the request ran again on {rerun.Node} after {crashed.Elapsed.TotalSeconds:0.0} s");
        var finished = await cluster.WaitForRunAsync(OpsRequestStep.UpdateDatabase, Patience, since: before);
        var state = await FinalStateAsync(cluster.SurvivorBesides(held.Node), id);

        Assert.NotEqual(held.Node, rerun.Node);
        Assert.NotEqual(held.Node, finished.Node);
        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Equal(2, steps.Runs(OpsRequestStep.StartArchiving));
        Assert.All(
            new[] { OpsRequestStep.CreateBackupConfiguration, OpsRequestStep.CreateSnapshot, OpsRequestStep.RestartPods, OpsRequestStep.UpdateDatabase },
            step => Assert.Equal(1, steps.Runs(step)));
        Assert.Equal(1, workloads.RestartsOf(Fixtures.DatabaseId));
        watching.Cancel();
        Assert.Equal(1, await created);
        Assert.Equal(hash, (await store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Metadata.Annotations![ApiGroups.SpecHashAnnotation]);
    }

    /// <summary>Reads the request's state until it is terminal: a step's side effect is done before its outcome is persisted.</summary>
    private static async Task<OpsRequestState> FinalStateAsync(ArchiverNode node, ResourceId id)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var state = await node.Region<OpsRequestRegion>().Ask<OpsRequestState>(new GetOpsRequestState(id), Patience);
            if (state.IsTerminal || DateTime.UtcNow > deadline) return state;
            await Task.Delay(100);
        }
    }

    /// <summary>Counts creations as a watcher sees them, so one created, deleted and created again counts twice.</summary>
    private static async Task<int> CountBackupConfigurationsCreatedAsync(IResourceStore store, CancellationToken stop)
    {
        var count = 0;
        try
        {
            await foreach (var e in store.WatchAsync(stop))
            {
                if (e is { Type: ResourceEventType.Added, Resource: BackupConfiguration }) count++;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return count;
    }
}
