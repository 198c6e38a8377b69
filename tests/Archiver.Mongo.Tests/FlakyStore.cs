using System.Collections.Concurrent;
using Archiver.Storage.Backends;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A store that can be switched off: while <see cref="Down"/>, every call fails as a dead network would. It counts the
/// reads of each key (<see cref="Reads"/>), to show what was downloaded how often.
/// </summary>
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

    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

    /// <summary>How many times <paramref name="key"/> was opened for reading.</summary>
    public int Reads(string key) => _reads.GetValueOrDefault(key);

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) => Check() ?? inner.PutAsync(key, content, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        Check() is { } failed ? Fail<bool>(failed) : inner.PutIfAbsentAsync(key, content, cancellationToken);

    public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        if (Check() is { } failed) return Fail<Stream>(failed);
        _reads.AddOrUpdate(key, 1, (_, n) => n + 1);
        return inner.GetAsync(key, cancellationToken);
    }

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
