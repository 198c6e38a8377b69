using System.Security.Cryptography;
using Archiver.Storage.Backends;
using Archiver.Storage.Encryption;
using Archiver.Storage.Tests.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Encryption;

/// <summary>The object-store contract through the encryption wrapper over GCS, as a BackupStorage with an encryptionSecret opens it.</summary>
[Collection(GcsCollection.Name)]
public sealed class EncryptedGcsObjectStoreTests(GcsTarget gcs) : ObjectStoreContract, IDisposable
{
    private static readonly EncryptionSettings Settings = new(RandomNumberGenerator.GetBytes(32));
    private readonly List<GcsObjectStore> _stores = [];

    protected override bool ListsPlainSizes => false;

    public void Dispose() => _stores.ForEach(s => s.Dispose());

    protected override Task<IObjectStore> CreateStoreAsync()
    {
        var raw = new GcsObjectStore(gcs.NewStore());
        _stores.Add(raw);
        return Task.FromResult<IObjectStore>(new EncryptedObjectStore(raw, Settings));
    }
}
