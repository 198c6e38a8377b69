using Archiver.Storage.Backends;

namespace Archiver.Storage.Tests.Support;

/// <summary>A store whose next N puts fail after reading the whole body, as an upload that dies at the last moment.</summary>
internal sealed class FlakyStore(IObjectStore inner) : IObjectStore
{
    public int FailNextPuts { get; set; }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        if (FailNextPuts > 0)
        {
            FailNextPuts--;
            await content.CopyToAsync(Stream.Null, cancellationToken);
            throw new IOException("The upload failed (simulated).");
        }

        await inner.PutAsync(key, content, cancellationToken);
    }

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        inner.PutIfAbsentAsync(key, content, cancellationToken);

    public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

    public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default) =>
        inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
}
