namespace Archiver.Actors.Databases;

public sealed record DatabaseSettings
{
    /// <summary>Longest a full backup may run before it counts as failed (the archiver's <c>timeout</c> wins when set).</summary>
    public TimeSpan BackupTimeout { get; init; } = TimeSpan.FromHours(6);

    /// <summary>How long the storage index may take to list a repository and plan a restore.</summary>
    public TimeSpan PlanTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often an archived database reads its archiver's report and windows into its status.</summary>
    public TimeSpan ObserveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an archived database's repository is scrubbed (every chunk and backup file read and verified).</summary>
    public TimeSpan VerificationInterval { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The first scrub after the entity starts: soon, so a node's restart does not push it a day away.</summary>
    public TimeSpan FirstVerificationAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often an archived database's oplog is compacted (chunks older than its archiver's <c>compactAfter</c> merged).</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a merged object must have been in the storage before the chunks it holds are removed: a restore planned
    /// just before the merge has this long to take its lease (Storage.Oplog.RestoreLease).
    /// </summary>
    public TimeSpan CompactionRemoveAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A snapshot of the entity's state after this many events (Persistence.SnapshotCadence): a recovery replays fewer.</summary>
    public int SnapshotEvery { get; init; } = 100;
}
