using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>Deletes backed-up data, for the WipeOut deletion policies of archivers and snapshots.</summary>
public interface IStorageJanitor
{
    /// <summary>Deletes every object under <paramref name="prefix"/> in the storage; returns how many went. Idempotent.</summary>
    Task<long> WipeAsync(ResourceId storage, string prefix, CancellationToken cancellation = default);
}
