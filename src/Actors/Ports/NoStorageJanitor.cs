using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>
/// Where a node has no storage access configured: a WipeOut deletion fails with this reason (and is retried)
/// rather than reporting data deleted that was not.
/// </summary>
public sealed class NoStorageJanitor : IStorageJanitor
{
    public Task<long> WipeAsync(ResourceId storage, string prefix, CancellationToken cancellation = default) =>
        throw new NotSupportedException($"cannot wipe {storage}:{prefix}: this node has no storage janitor configured");
}
