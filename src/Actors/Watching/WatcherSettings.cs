namespace Archiver.Actors.Watching;

public sealed record WatcherSettings
{
    /// <summary>
    /// Ops requests running at once across the cluster (see <see cref="OpsRequestAdmission"/>). Enough to keep the
    /// journal's batches full; few enough that a fleet applied at once queues in the watcher, not in the journal.
    /// </summary>
    public int MaxOpsRequestsInFlight { get; init; } = 256;

    /// <summary>How long a started request may stay Pending before its start is sent again.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
