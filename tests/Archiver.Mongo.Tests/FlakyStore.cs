using Archiver.Storage.Backends;

namespace Archiver.Mongo.Tests;

/// <summary>A store that can be switched off: while <see cref="Down"/>, every call fails as a dead network would.</summary>
internal sealed class FlakyStore(IObjectStore inner) : IObjectStore
{
    private volatile bool _down;

    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    private int _failedCalls;

    public int FailedCalls => Volatile.Read(ref _failedCalls);

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) => Check() ?? inner.PutAsync(key, content, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        Check() is { } failed ? Fail<bool>(failed) : inner.PutIfAbsentAsync(key, content, cancellationToken);

    public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default) =>
        Check() is { } failed ? Fail<Stream>(failed) : inner.GetAsync(key, cancellationToken);

    public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default) =>
        Check() is { } failed ? Fail<ObjectListing>(failed) : inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => Check() ?? inner.DeleteAsync(key, cancellationToken);

    private Task? Check()
    {
        if (!_down)
        {
            return null;
        }

        Interlocked.Increment(ref _failedCalls);
        return Task.FromException(new IOException("storage is down (test)"));
    }

    private static async Task<T> Fail<T>(Task failed)
    {
        await failed;
        throw new InvalidOperationException("unreachable");
    }
}
