namespace Archiver.Storage.Backends;

/// <summary>
/// Where and how to reach an S3-compatible bucket. The BackupStorage resource and its Secret are mapped onto
/// this record by the caller; the repository never reads Kubernetes objects itself.
/// </summary>
public sealed record S3Settings
{
    /// <summary>Custom endpoint (MinIO, s3rver, Ceph); null for AWS itself.</summary>
    public Uri? ServiceUrl { get; init; }

    public required string Bucket { get; init; }

    /// <summary>Optional folder inside the bucket that every key is placed under.</summary>
    public string Prefix { get; init; } = string.Empty;

    public string Region { get; init; } = "us-east-1";

    public required string AccessKey { get; init; }

    public required string SecretKey { get; init; }

    /// <summary>Path-style addressing: most self-hosted servers need it.</summary>
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Objects larger than this go up in parts of this size; S3 needs at least 5 MiB per part.</summary>
    public int PartSizeBytes { get; init; } = 8 * 1024 * 1024;

    public RetrySettings Retry { get; init; } = new();

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);
}
