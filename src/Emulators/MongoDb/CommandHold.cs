namespace Archiver.Emulators.MongoDb;

/// <summary>
/// A fault hook: commands of one name wait before they run until released, as a server busy with them would (a slow
/// disk, a long lock). What a client does meanwhile (gives up, retries on another connection) is what a test looks at.
/// </summary>
public sealed class CommandHold : IDisposable
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    internal CommandHold(string command) => Command = command;

    public string Command { get; }

    /// <summary>How many commands are waiting on the hold now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Lets every waiting command, and every later one, run.</summary>
    public void Dispose() => _released.TrySetResult();

    internal async Task WaitAsync(CancellationToken cancellation)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _released.Task.WaitAsync(cancellation).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
