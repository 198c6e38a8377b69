using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Durability;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Storage;

namespace Archiver.Emulators.MongoDb.Replication;

/// <summary>
/// What one member has of its own beside the data the members share: its fsync lock and, while it is locked, the
/// optime and data it stopped at (a locked mongod applies nothing more), and its data directory.
/// <para>
/// The fsync lock is mongod's global read lock held by a background thread (mongodb/mongo
/// <c>src/mongo/db/commands/fsync.cpp</c>, <c>FSyncLockThread</c>: <c>Lock::GlobalRead</c>). Writes need the global
/// intent-exclusive lock, so a write arriving while it is held waits (it is not refused) until the last
/// <c>fsyncUnlock</c>, or until its <c>maxTimeMS</c> runs out; taking the lock waits for the writes already running to
/// finish. The emulator's commands are atomic under the replica-set lock, so the gate is only between commands: a
/// count of writes in flight and a flag, checked the way a lock manager grants an IX request while an S request is
/// queued (new writes wait behind it).
/// </para>
/// </summary>
internal sealed class MemberState
{
    private readonly Lock _gate = new();
    private int _writesInFlight;
    private int _blocking;
    private TaskCompletionSource _released = Released();

    public MemberState(int index) => Index = index;

    public int Index { get; }

    /// <summary>
    /// Only one fsync or fsyncUnlock runs at a time on a member, as fsync.cpp's <c>fsyncSingleCommandExclusionMutex</c>
    /// makes it: a second lock waits while the first drains the writes.
    /// </summary>
    public SemaphoreSlim CommandMutex { get; } = new(1, 1);

    /// <summary>fsync.cpp's <c>_lockCount</c>: each <c>{fsync: 1, lock: true}</c> adds one, each fsyncUnlock takes one. Under the replica-set lock.</summary>
    public long LockCount { get; set; }

    /// <summary>The optime the member had applied when it was locked; null while it is not. Under the replica-set lock.</summary>
    public OpTime? FrozenAt { get; set; }

    /// <summary>The data as it was at <see cref="FrozenAt"/>: what reads on the locked member see. Under the replica-set lock.</summary>
    public StorageEngine? FrozenStorage { get; set; }

    /// <summary>The member's data directory, or null when the set keeps its data in memory only.</summary>
    public DataDirectory? Folder { get; set; }

    /// <summary>
    /// Lets a write in, or waits until the member's fsync lock is released (MaxTimeMSExpired when
    /// <paramref name="maxTime"/> runs out first). The fast path, taken whenever the member is not locked, allocates nothing.
    /// </summary>
    public ValueTask EnterWriteAsync(TimeSpan? maxTime, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writesInFlight);
        if (Volatile.Read(ref _blocking) == 0)
        {
            return ValueTask.CompletedTask;
        }

        Interlocked.Decrement(ref _writesInFlight);
        return new ValueTask(WaitForUnlockAsync(maxTime, cancellationToken));
    }

    public void ExitWrite() => Interlocked.Decrement(ref _writesInFlight);

    /// <summary>
    /// Makes new writes wait, then waits for the writes already running to finish: after it returns, nothing writes
    /// through this member until <see cref="UnblockWrites"/>.
    /// </summary>
    public async Task BlockWritesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // A full fence: a writer increments then reads the flag, this sets the flag then reads the count, so one
            // of the two sees the other.
            Interlocked.Exchange(ref _blocking, 1);
        }

        try
        {
            while (Volatile.Read(ref _writesInFlight) > 0)
            {
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            UnblockWrites();
            throw;
        }
    }

    public void UnblockWrites()
    {
        lock (_gate)
        {
            Volatile.Write(ref _blocking, 0);
            _released.TrySetResult();
        }
    }

    private async Task WaitForUnlockAsync(TimeSpan? maxTime, CancellationToken cancellationToken)
    {
        var deadline = maxTime is { } limit ? DateTime.UtcNow + limit : (DateTime?)null;
        while (true)
        {
            Task released;
            lock (_gate)
            {
                released = _released.Task;
            }

            if (released.IsCompleted)
            {
                Interlocked.Increment(ref _writesInFlight);
                if (Volatile.Read(ref _blocking) == 0)
                {
                    return;
                }

                // Locked again meanwhile: wait for that lock's release.
                Interlocked.Decrement(ref _writesInFlight);
                continue;
            }

            if (deadline is not { } end)
            {
                await released.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var remaining = end - DateTime.UtcNow;
            try
            {
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                await released.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The lock wait is interruptible like any other, and maxTimeMS interrupts it (OperationContext's
                // deadline): an interruption fails the whole command, never one document (write_ops_exec.cpp).
                throw new CommandError(ErrorCode.MaxTimeMSExpired, "operation exceeded time limit");
            }
        }
    }

    private static TaskCompletionSource Released()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        released.SetResult();
        return released;
    }
}
