namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// A fault hook: every chunk migration stops after its clone (the recipient holds the documents, logged with
/// <c>fromMigrate</c>) and before its commit on the config server, until the hold is disposed. A migration in flight
/// is what a backup or a restore point must get right: the documents are on two shards, owned by one.
/// </summary>
public sealed class MigrationHold : IDisposable
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal MigrationHold()
    {
    }

    /// <summary>Completes when a migration has cloned its chunk and waits on the hold.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Lets the waiting migration, and every later one, commit.</summary>
    public void Dispose() => _released.TrySetResult();

    internal async Task WaitAsync(CancellationToken cancellation)
    {
        _reached.TrySetResult();
        await _released.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }
}
