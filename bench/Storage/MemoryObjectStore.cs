using Archiver.Storage;
using Archiver.Storage.Backends;

namespace Archiver.Bench.Storage;

/// <summary>
/// A bucket in memory for the cost benchmarks: keys kept sorted so a listing pages as S3's does (1,000 keys a page,
/// from the last key returned), and every request counted, as a bucket bills them. Not a stand-in for tests: no
/// consistency rules beyond one lock.
/// </summary>
internal sealed class MemoryObjectStore : IObjectStore
{
    private readonly Dictionary<string, (byte[] Bytes, DateTimeOffset At)> _objects = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _puts;
    private long _gets;
    private long _lists;
    private long _deletes;

    public long Puts => Interlocked.Read(ref _puts);

    public long Gets => Interlocked.Read(ref _gets);

    public long Lists => Interlocked.Read(ref _lists);

    public long Deletes => Interlocked.Read(ref _deletes);

    public int Count
    {
        get
        {
            lock (_lock) return _objects.Count;
        }
    }

    public long Bytes(string prefix)
    {
        lock (_lock) return _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(o => (long)o.Value.Bytes.Length);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        lock (_lock)
        {
            _objects[key] = (buffer.ToArray(), DateTimeOffset.UtcNow);
            _keys.Add(key);
        }

        Interlocked.Increment(ref _puts);
    }

    public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        Interlocked.Increment(ref _puts);
        lock (_lock) return _objects.TryAdd(key, (buffer.ToArray(), DateTimeOffset.UtcNow)) && _keys.Add(key);
    }

    public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        lock (_lock)
        {
            return _objects.TryGetValue(key, out var found)
                ? Task.FromResult<Stream>(new MemoryStream(found.Bytes, writable: false))
                : Task.FromException<Stream>(new ObjectNotFoundException(key));
        }
    }

    public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lists);
        lock (_lock)
        {
            var from = continuationToken ?? prefix;
            var page = _keys.GetViewBetween(from, prefix + char.MaxValue)
                .Where(k => continuationToken is null || k != from)
                .TakeWhile(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Take(pageSize)
                .Select(k => new StoredObject(k, _objects[k].Bytes.Length, _objects[k].At))
                .ToList();
            return Task.FromResult(new ObjectListing(page, page.Count == pageSize ? page[^1].Key : null));
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _deletes);
        lock (_lock)
        {
            _objects.Remove(key);
            _keys.Remove(key);
        }

        return Task.CompletedTask;
    }
}
