using Archiver.Storage.FullBackups;

namespace Archiver.Storage.Catalog;

/// <summary>
/// How to reach a target: restore <see cref="BaseBackup"/> (stored under <see cref="BasePrefix"/>), then replay
/// <see cref="Segments"/> in order. A target on a timeline branched by a restore may start from a backup of the
/// history it was restored from: the first segment then replays that history up to the branch point, and the next
/// one the restored database's own oplog. <see cref="Timeline"/> is the timeline the target falls on.
/// <see cref="Components"/> lists what is replayed per component: one entry per segment for a plan across a branch.
/// </summary>
public sealed record RestorePlan(
    RecoveryTarget Target,
    uint Timeline,
    BackupManifest BaseBackup,
    IReadOnlyList<PlannedComponent> Components,
    long BytesToRead)
{
    /// <summary>The prefix whose <c>backups/</c> folder holds <see cref="BaseBackup"/>.</summary>
    public required string BasePrefix { get; init; }

    /// <summary>The timeline <see cref="BaseBackup"/> belongs to (under <see cref="BasePrefix"/>).</summary>
    public uint BaseTimeline => BaseBackup.Timeline;

    /// <summary>The oplog to replay, oldest first; the first segment continues the base backup.</summary>
    public required IReadOnlyList<ReplaySegment> Segments { get; init; }

    /// <summary>
    /// The database (<c>metadata.uid</c>) whose timeline the target falls on, as its record names it: the lineage the
    /// restored database records. Null for a timeline written before timelines had records.
    /// </summary>
    public string? SourceOwner { get; init; }

    public int ChunkCount => Segments.Sum(s => s.Chunks.Count);
}
