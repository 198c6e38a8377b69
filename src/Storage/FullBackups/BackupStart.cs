namespace Archiver.Storage.FullBackups;

/// <summary>What is known when a full backup begins.</summary>
public sealed record BackupStart(string Driver, IReadOnlyList<string> Components, uint Timeline, DateTimeOffset StartedAt)
{
    /// <summary>
    /// What took the backup, when something else waits for it by name (a backup Job: the node finds the manifest, or
    /// the failure's reason, of the Job it made); recorded in the manifest.
    /// </summary>
    public string? Origin { get; init; }

    /// <summary>For a sharded cluster's backup, the component that is its config server (the others are shards); null for a replica set.</summary>
    public string? ConfigServer { get; init; }

    /// <summary>Backup ids sort by start time, so the backups folder lists oldest first.</summary>
    public string NewId() =>
        $"{StartedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
}
