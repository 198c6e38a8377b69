namespace Archiver.Kubernetes;

public sealed record KubernetesStoreOptions
{
    /// <summary>
    /// How long the API server keeps one watch request open; the watch then resumes from its last resourceVersion.
    /// Short enough that a silently dead connection is noticed, long enough not to load the API server.
    /// </summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Pause before re-watching after a failure (connection dropped, API server unavailable).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}
