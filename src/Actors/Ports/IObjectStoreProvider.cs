using Archiver.Messages.Protocol;
using Archiver.Storage.Backends;

namespace Archiver.Actors.Ports;

/// <summary>Opens the object store a BackupStorage resource describes (folder or S3, encrypted when it says so).</summary>
public interface IObjectStoreProvider
{
    Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default);
}
