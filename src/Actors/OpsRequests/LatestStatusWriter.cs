namespace Archiver.Actors.OpsRequests;

/// <summary>
/// Writes an entity's status one write at a time, always the newest: a status posted while a write is under way
/// replaces any other waiting, so a burst of changes costs the first write and the last, not one write each (and
/// not one watch event each for every watcher). What a reader finally sees is the last status posted.
/// </summary>
internal sealed class LatestStatusWriter<T>(Func<T, Task> write)
    where T : class
{
    private readonly Lock _gate = new();
    private T? _waiting;
    private bool _writing;
    private TaskCompletionSource _idle = NewIdle();

    /// <summary>Completes once every status posted so far is written (at once when none is waiting or being written).</summary>
    public Task Idle
    {
        get
        {
            lock (_gate)
            {
                return _writing ? _idle.Task : Task.CompletedTask;
            }
        }
    }

    public void Post(T status)
    {
        lock (_gate)
        {
            _waiting = status;
            if (_writing) return;
            _writing = true;
        }

        _ = Task.Run(WriteAllAsync);
    }

    private async Task WriteAllAsync()
    {
        while (true)
        {
            T next;
            lock (_gate)
            {
                if (_waiting is null)
                {
                    _writing = false;
                    _idle.TrySetResult();
                    _idle = NewIdle();
                    return;
                }

                next = _waiting;
                _waiting = null;
            }

            // The write reports its own failures; one failing must not stop the ones after it.
            await write(next);
        }
    }

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
