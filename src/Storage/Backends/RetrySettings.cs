namespace Archiver.Storage.Backends;

/// <summary>How transient backend errors (500, 503, a reset connection) are retried: exponential backoff with jitter.</summary>
public sealed record RetrySettings
{
    public int MaxRetries { get; init; } = 6;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
}
