using Archiver.Storage.Backends;
using Archiver.Storage.Layout;

namespace Archiver.Storage.Oplog;

/// <summary>
/// A running restore's word that it reads a history: one small object per restore under each prefix its plan reads
/// (<c>&lt;prefix&gt;/leases/&lt;restore&gt;.json</c>), written when its replay starts, renewed while it runs, removed when it
/// ends. While one is live, compaction removes no chunk under that prefix (it still merges: a merged object only adds),
/// so a plan's chunks stay where the plan names them. One a killed restore left behind expires on its own.
/// The lease is only half of it: compaction also waits a while after a merge before removing what it replaced, for
/// restores planned just before the merge that have not written theirs yet (<see cref="OplogCompaction"/>).
/// </summary>
public sealed record RestoreLease(string Holder, DateTimeOffset Expires)
{
    /// <summary>How long a lease lasts unrenewed: long enough for a node's clock to be minutes off, renewed every third of it.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromMinutes(15);

    /// <summary>Writes the lease under every prefix and keeps renewing it until the returned handle is disposed.</summary>
    public static async Task<IAsyncDisposable> HoldAsync(
        IObjectStore store, IEnumerable<string> prefixes, string holder, TimeProvider clock, TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        var keys = prefixes.Distinct(StringComparer.Ordinal).Select(p => new RepositoryLayout(p).LeaseKey(holder)).ToList();
        var held = new Held(store, keys, holder, clock, duration ?? DefaultDuration);
        await held.WriteAsync(cancellationToken);
        held.Start();
        return held;
    }

    /// <summary>The leases under the prefix that have not expired; an unreadable one counts as live for a day after it was written.</summary>
    public static async Task<IReadOnlyList<RestoreLease>> LiveAsync(IObjectStore store, RepositoryLayout layout, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        var live = new List<RestoreLease>();
        await foreach (var item in store.ListAllAsync(layout.LeasesPrefix, cancellationToken))
        {
            RestoreLease lease;
            try
            {
                lease = CheckedJson.Deserialize(item.Key, await store.GetBytesAsync(item.Key, cancellationToken), StorageJsonContext.Default.RestoreLease);
            }
            catch (ObjectNotFoundException)
            {
                continue;
            }
            catch (CorruptObjectException)
            {
                lease = new RestoreLease(item.Key, item.LastModified + TimeSpan.FromDays(1));
            }

            if (lease.Expires > now)
            {
                live.Add(lease);
            }
        }

        return live;
    }

    private sealed class Held(IObjectStore store, IReadOnlyList<string> keys, string holder, TimeProvider clock, TimeSpan duration) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _renewing = Task.CompletedTask;

        public async Task WriteAsync(CancellationToken cancellationToken)
        {
            var bytes = CheckedJson.Serialize(new RestoreLease(holder, clock.GetUtcNow() + duration), StorageJsonContext.Default.RestoreLease);
            foreach (var key in keys)
            {
                await store.PutBytesAsync(key, bytes, cancellationToken);
            }
        }

        public void Start() => _renewing = Task.Run(RenewAsync);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewing;
            _stop.Dispose();
            foreach (var key in keys)
            {
                try
                {
                    await store.DeleteAsync(key);
                }
                catch (Exception e) when (e is StorageException or IOException or HttpRequestException)
                {
                    // It expires on its own; compaction waits for it until then.
                }
            }
        }

        private async Task RenewAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(duration / 3, clock, _stop.Token);
                    await WriteAsync(_stop.Token);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is StorageException or IOException or HttpRequestException)
                {
                    // The next renewal tries again; the lease has two more thirds of its time.
                }
            }
        }
    }
}
