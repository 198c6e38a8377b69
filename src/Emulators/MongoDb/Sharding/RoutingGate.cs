namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// The critical section of a chunk migration: routed commands pass the gate shared, a migration's commit takes it
/// alone, so no write is routed by the old owner while ownership changes (MongoDB blocks writes to the chunk for the
/// same step; src/mongo/db/s/migration_source_manager.cpp). Async, because routed commands await their shards.
/// </summary>
internal sealed class RoutingGate
{
    private readonly SemaphoreSlim _turnstile = new(1, 1);
    private int _readers;

    public async Task<IDisposable> SharedAsync(CancellationToken cancellation)
    {
        await _turnstile.WaitAsync(cancellation).ConfigureAwait(false);
        Interlocked.Increment(ref _readers);
        _turnstile.Release();
        return new Release(() => Interlocked.Decrement(ref _readers));
    }

    public async Task<IDisposable> ExclusiveAsync(CancellationToken cancellation)
    {
        await _turnstile.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            while (Volatile.Read(ref _readers) > 0)
            {
                // Routed commands in flight finish in milliseconds; new ones wait at the turnstile meanwhile.
                await Task.Delay(1, cancellation).ConfigureAwait(false);
            }
        }
        catch
        {
            _turnstile.Release();
            throw;
        }

        return new Release(() => _turnstile.Release());
    }

    private sealed class Release(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                action();
            }
        }
    }
}
