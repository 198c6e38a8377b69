using Archiver.Storage.Backends;

namespace Archiver.Storage.Encryption;

/// <summary>
/// Encryption at rest for any backend: wraps every object in authenticated AES-256-GCM segments on the way in
/// and verifies them on the way out. Keys (names) stay in clear, since the catalog reads ranges from them;
/// listed sizes are the encrypted sizes. See <see cref="EncryptedFormat"/> for the layout.
/// </summary>
public sealed class EncryptedObjectStore(IObjectStore inner, EncryptionSettings settings) : IObjectStore
{
    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        await using var encrypting = new EncryptingStream(content, key, settings);
        await inner.PutAsync(key, encrypting, cancellationToken);
    }

    public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        await using var encrypting = new EncryptingStream(content, key, settings);
        return await inner.PutIfAbsentAsync(key, encrypting, cancellationToken);
    }

    public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default) =>
        new DecryptingStream(await inner.GetAsync(key, cancellationToken), key, settings);

    public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default) =>
        inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
}
