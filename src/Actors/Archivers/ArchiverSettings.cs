namespace Archiver.Actors.Archivers;

public sealed record ArchiverSettings
{
    /// <summary>
    /// How often an archiver looks again with no event to prompt it: catches what no watch reports, such as a
    /// namespace relabelled for <c>namespaces.from: Selector</c>.
    /// </summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Wait before trying again after a reconcile failed (the store was unreachable, a write conflicted).</summary>
    public TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait after failures in a row: the wait doubles from <see cref="RetryAfterFailure"/> up to it.</summary>
    public TimeSpan MaxRetryAfterFailure { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A snapshot of the entity's state after this many events (Persistence.SnapshotCadence): a recovery replays fewer.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>The wait after the <paramref name="failures"/>th failure in a row.</summary>
    public TimeSpan RetryAfter(int failures) =>
        TimeSpan.FromTicks(Math.Min(MaxRetryAfterFailure.Ticks, RetryAfterFailure.Ticks * (1L << Math.Min(20, failures - 1))));

    /// <summary>
    /// The least time between two reconciles prompted by databases and ops requests: changes arriving meanwhile are
    /// handled by one reconcile, so a fleet being configured (each request passing through three phases) costs an
    /// archiver one pass a second, not one per change. A change of the archiver itself is not held back.
    /// </summary>
    public TimeSpan MinReconcileInterval { get; init; } = TimeSpan.FromSeconds(1);
}
