using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;

namespace Archiver.Kubernetes.Tests;

/// <summary>The resource store's contract against the embedded node's in-memory store, the one every actor spec uses.</summary>
public sealed class InMemoryResourceStoreContractTests : ResourceStoreContract
{
    private readonly InMemoryResourceStore _store = new();

    protected override IResourceStore Store => _store;

    protected override Task<string> NewNamespaceAsync(IDictionary<string, string>? labels = null)
    {
        var name = $"t-{Guid.NewGuid():N}"[..14];
        _store.SetNamespace(name, labels?.ToDictionary());
        return Task.FromResult(name);
    }

    // Its watch is a channel in the process: there is no connection to cut.
    protected override void DropWatches()
    {
    }
}
