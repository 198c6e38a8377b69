using System.Runtime.CompilerServices;

namespace Archiver.Storage.Backends;

/// <summary>Conveniences every backend gets for free from the five primitives.</summary>
public static class ObjectStoreExtensions
{
    /// <summary>Every object under a prefix, following continuation tokens across pages.</summary>
    public static async IAsyncEnumerable<StoredObject> ListAllAsync(
        this IObjectStore store,
        string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? token = null;
        do
        {
            var page = await store.ListAsync(prefix, token, 1000, cancellationToken);
            foreach (var item in page.Objects)
            {
                yield return item;
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    public static async Task<byte[]> GetBytesAsync(this IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await using var stream = await store.GetAsync(key, cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    public static async Task PutBytesAsync(this IObjectStore store, string key, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        await store.PutAsync(key, stream, cancellationToken);
    }

    public static async Task<bool> PutBytesIfAbsentAsync(this IObjectStore store, string key, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        return await store.PutIfAbsentAsync(key, stream, cancellationToken);
    }

    /// <summary>Deletes everything under a prefix (the WipeOut deletion policy); returns how many objects went.</summary>
    public static async Task<int> DeletePrefixAsync(this IObjectStore store, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var keys = new List<string>();
        await foreach (var item in store.ListAllAsync(prefix, cancellationToken))
        {
            keys.Add(item.Key);
        }

        foreach (var key in keys)
        {
            await store.DeleteAsync(key, cancellationToken);
        }

        return keys.Count;
    }
}
