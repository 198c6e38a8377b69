using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The resource store's contract against an API server through KubernetesResourceStore: the emulator, or a real
/// cluster when ARCHIVER_TEST_KUBECONFIG is set.
/// </summary>
public sealed class ResourceStoreContractTests(ApiServerFixture server) : ResourceStoreContract, IClassFixture<ApiServerFixture>
{
    private readonly KubernetesResourceStore _store = new(server.Client, new KubernetesStoreOptions { RetryDelay = TimeSpan.FromMilliseconds(100) });

    protected override IResourceStore Store => _store;

    protected override Task<string> NewNamespaceAsync(IDictionary<string, string>? labels = null) => server.NewNamespaceAsync(labels);

    protected override void DropWatches() => server.DropWatches();

    [Fact]
    [Trait("Target", "EmulatorOnly")]
    public async Task When_the_history_is_gone_the_watch_lists_again_and_reports_what_it_missed()
    {
        // Forcing 410 Gone needs the emulator's hook; against a real server filter with "Target!=EmulatorOnly".
        var emulator = server.Emulator ?? throw new InvalidOperationException("this test needs the emulator: run with --filter \"Target!=EmulatorOnly\"");
        var ns = await NewNamespaceAsync();
        await using var watch = new WatchRecorder(Store);
        await Task.Delay(WatchStart);
        await _store.CreateAsync(Resources.Database(ns, "kept"));
        await _store.CreateAsync(Resources.Database(ns, "removed"));
        await watch.WaitForAsync(ns, 2);

        // Changes while no watch is connected, then the history that would replay them is compacted away.
        emulator.DropWatches();
        await _store.CreateAsync(Resources.Database(ns, "added"));
        await _store.DeleteAsync<Database>(new ResourceId(ns, "removed"));
        emulator.CompactHistory();

        var events = await watch.WaitForAsync(ns, 4);

        Assert.Equal(["Added kept", "Added removed"], events.Take(2));
        Assert.Equal(["Added added", "Deleted removed"], events.Skip(2).Order(StringComparer.Ordinal));
    }
}
