namespace Archiver.Storage.Backends;

/// <summary>
/// The few operations every object store offers (S3, a folder, and later GCS or Azure Blob). Keys are
/// '/'-separated, relative, and compared ordinally; a listing returns keys in that order.
/// </summary>
public interface IObjectStore
{
    /// <summary>Writes an object, replacing any previous one. Readers see the old or the new object, never a part.</summary>
    Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Writes an object only if none exists under <paramref name="key"/>; false if one did.</summary>
    Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens an object for reading; <see cref="ObjectNotFoundException"/> if it does not exist.</summary>
    Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>One page of the keys starting with <paramref name="prefix"/>, in ordinal order.</summary>
    Task<ObjectListing> ListAsync(
        string prefix,
        string? continuationToken = null,
        int pageSize = 1000,
        CancellationToken cancellationToken = default);

    /// <summary>Deletes an object; deleting a missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}
