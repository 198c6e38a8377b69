namespace Archiver.Storage.Retention;

/// <summary>
/// Retention as one recovery window over backups and oplog (the RetentionPolicy resource is mapped onto this):
/// keep the last <see cref="KeepLastSucceeded"/> successful and <see cref="KeepLastFailed"/> failed full backups,
/// everything younger than <see cref="MaxRetentionPeriod"/>, and whatever those need to stay recoverable.
/// </summary>
public sealed record RetentionRules
{
    public int KeepLastSucceeded { get; init; } = 7;

    public int KeepLastFailed { get; init; } = 1;

    public TimeSpan? MaxRetentionPeriod { get; init; }

    /// <summary>
    /// How long files of a backup without a manifest are left alone: longer than any backup runs, so a backup in
    /// progress is never touched.
    /// </summary>
    public TimeSpan IncompleteBackupGrace { get; init; } = TimeSpan.FromDays(1);

    public void Validate()
    {
        // Keeping no successful backup would make every archived chunk unusable: refuse rather than wipe.
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepLastSucceeded, 1, nameof(KeepLastSucceeded));
        ArgumentOutOfRangeException.ThrowIfNegative(KeepLastFailed, nameof(KeepLastFailed));
        ArgumentOutOfRangeException.ThrowIfLessThan(IncompleteBackupGrace, TimeSpan.Zero, nameof(IncompleteBackupGrace));
        if (MaxRetentionPeriod is { } period)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(period, TimeSpan.Zero, nameof(MaxRetentionPeriod));
        }
    }
}
