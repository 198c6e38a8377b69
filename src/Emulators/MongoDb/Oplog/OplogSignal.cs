namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// Wakes awaiting tailable cursors when an entry is appended (or the oplog is rolled back). Both sides run under
/// the replica-set lock, so a signal nobody took since the last append is not replaced: an append with no cursor
/// waiting (every op of a restore's applyOps) allocates nothing.
/// </summary>
internal sealed class OplogSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _taken;

    /// <summary>Take under the replica-set lock, then await outside it.</summary>
    public Task Next
    {
        get
        {
            _taken = true;
            return _next.Task;
        }
    }

    /// <summary>Under the replica-set lock.</summary>
    public void Fire()
    {
        if (!_taken)
        {
            return;
        }

        _taken = false;
        var fired = _next;
        _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fired.TrySetResult();
    }
}
