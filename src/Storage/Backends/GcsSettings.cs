namespace Archiver.Storage.Backends;

/// <summary>
/// Where and how to reach a Google Cloud Storage bucket (KubeStash's <c>provider: gcs</c>: a bucket, an optional
/// prefix, a service account key from its Secret). The caller maps the BackupStorage onto it.
/// </summary>
public sealed record GcsSettings
{
    /// <summary>The minimum chunk of a resumable upload; every chunk but the last is a multiple of it (GCS's rule).</summary>
    public const int ChunkGranularity = 256 * 1024;

    public required string Bucket { get; init; }

    /// <summary>
    /// A service account key, the JSON file Google's console downloads (<c>GOOGLE_SERVICE_ACCOUNT_JSON_KEY</c> in
    /// KubeStash's Secret). Only keys of type <c>service_account</c> are accepted.
    /// </summary>
    public required string ServiceAccountJson { get; init; }

    /// <summary>Optional folder inside the bucket that every key is placed under.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>
    /// The JSON API's root: by default <c>https://storage.googleapis.com/storage/v1/</c>; another for a Private
    /// Service Connect endpoint (<c>https://storage-ENDPOINT.p.googleapis.com/storage/v1/</c>) or a stand-in. Uploads
    /// go to the same host under <c>/upload/storage/v1/</c>.
    /// </summary>
    public Uri? BaseUri { get; init; }

    /// <summary>How many connections to the service at once (KubeStash's <c>maxConnections</c>); more requests wait for one.</summary>
    public int MaxConnections { get; init; } = 4;

    /// <summary>
    /// Objects go up in a resumable upload of chunks this size, so only one chunk is in memory, and a chunk that
    /// fails is sent again rather than the whole object; reads come down in ranges this size. A multiple of 256 KiB.
    /// </summary>
    public int ChunkSizeBytes { get; init; } = 8 * 1024 * 1024;

    public RetrySettings Retry { get; init; } = new();

    public Uri BaseUriOrDefault => BaseUri ?? new Uri("https://storage.googleapis.com/storage/v1/");
}
