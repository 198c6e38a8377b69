using Akka.Actor;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>The embedded single node end to end: SQLite journal, sharding, remember-entities, our serializer.</summary>
public sealed class EmbeddedNodeSpecs : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-node-").FullName;

    [Fact]
    public async Task An_ops_request_interrupted_by_a_crash_finishes_after_the_node_restarts_without_being_asked_again()
    {
        var store = await Fixtures.StoreWithAsync(Fixtures.Archiver(), Fixtures.Database());
        var workloads = new InProcessWorkloads();
        var steps = new ScriptedSteps(new OpsRequestSteps(store, workloads, TimeProvider.System));
        steps.Hold(OpsRequestStep.StartArchiving);
        var options = new ArchiverNodeOptions { Journal = JournalOptions.Sqlite(Path.Combine(_folder, "journal.db")) };
        var id = new ResourceId("demo", "mg-rs-configure");

        var first = await ArchiverNode.StartAsync(options, store, workloads, steps);
        var hash = SpecHash.Compute(Fixtures.Archiver().Spec!);
        var accepted = await first.Region<OpsRequestRegion>().Ask<OpsRequestState>(
            new StartOpsRequest(id, ArchiverOperationType.ConfigureArchiver, Fixtures.DatabaseId, Fixtures.ArchiverId, hash), TimeSpan.FromSeconds(20));
        Assert.True(accepted.IsAccepted);
        await steps.Entered.GetOrAdd(OpsRequestStep.StartArchiving, _ => new TaskCompletionSource()).Task.WaitAsync(TimeSpan.FromSeconds(10));
        await first.CrashAsync();

        await using var second = await ArchiverNode.StartAsync(options, store, workloads, steps);
        // No message is sent: the remembered entity restarts on its own and picks up its journal.
        await WaitUntilAsync(() => steps.Runs(OpsRequestStep.UpdateDatabase) == 1, TimeSpan.FromSeconds(30));
        // The last step has started; its outcome is persisted a moment later.
        var state = await PollAsync(
            () => second.Region<OpsRequestRegion>().Ask<OpsRequestState>(new GetOpsRequestState(id), TimeSpan.FromSeconds(10)),
            s => s.IsTerminal,
            TimeSpan.FromSeconds(10));
        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Equal(2, steps.Runs(OpsRequestStep.StartArchiving));
        Assert.Equal(1, steps.Runs(OpsRequestStep.CreateBackupConfiguration));
        Assert.Equal(hash, (await store.GetAsync<MongoDB>(Fixtures.DatabaseId))!.Metadata.Annotations![ApiGroups.SpecHashAnnotation]);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            value = await read();
        }

        return value;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {timeout}");
            await Task.Delay(50);
        }
    }
}
