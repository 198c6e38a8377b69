using Archiver.Storage.VolumeSnapshots;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>The lock record in memory, with the same rules as the Lease (src/Kubernetes/KubernetesFsyncLockLease.cs): fresh while renewed.</summary>
internal sealed class MemoryLockLease(string holder) : IFsyncLockLease
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    private readonly Lock _lock = new();

    public (string Member, string Holder, DateTimeOffset Since, DateTimeOffset Renewed)? Record { get; private set; }

    public int Renewals { get; private set; }

    /// <summary>A record as a holder killed while it held <paramref name="member"/> left it.</summary>
    public void LeftBy(string otherHolder, string member, DateTimeOffset since)
    {
        lock (_lock) Record = (member, otherHolder, since, since);
    }

    public Task AcquireAsync(string member, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Record is { } held && held.Holder != holder) throw new InvalidOperationException($"{held.Holder} holds member {held.Member} locked");
            Record = (member, holder, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        }

        return Task.CompletedTask;
    }

    public Task RenewAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Record is { } held && held.Holder == holder)
            {
                Record = held with { Renewed = DateTimeOffset.UtcNow };
                Renewals++;
            }
        }

        return Task.CompletedTask;
    }

    public Task ReleaseAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Record is { } held && held.Holder == holder) Record = null;
        }

        return Task.CompletedTask;
    }

    public Task<StaleFsyncLock?> FindStaleAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            return Task.FromResult(Record is { } held && (now - held.Renewed > Duration || now - held.Since > deadline)
                ? new StaleFsyncLock(held.Member, held.Holder, held.Since, held.Renewed)
                : null);
        }
    }

    public Task ClearAsync(StaleFsyncLock stale, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Record is { } held && held.Holder == stale.Holder && held.Renewed <= stale.LastRenewed) Record = null;
        }

        return Task.CompletedTask;
    }
}
