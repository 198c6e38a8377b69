namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>Wakes awaiting tailable cursors when an entry is appended (or the oplog is rolled back).</summary>
internal sealed class OplogSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Take under the replica-set lock, then await outside it.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Fire()
    {
        var fired = Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        fired.TrySetResult();
    }
}
