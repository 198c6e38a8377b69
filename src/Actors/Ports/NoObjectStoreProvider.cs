using Archiver.Messages.Protocol;
using Archiver.Storage.Backends;

namespace Archiver.Actors.Ports;

/// <summary>Where a node has no storage access configured: every catalog query answers with this error.</summary>
public sealed class NoObjectStoreProvider : IObjectStoreProvider
{
    public Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default) =>
        throw new NotSupportedException($"cannot open {storage}: this node has no object store provider configured");
}
