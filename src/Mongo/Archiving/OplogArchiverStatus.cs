using Archiver.Storage;

namespace Archiver.Mongo.Archiving;

/// <summary>
/// A snapshot of one archiver, immutable, for the control plane's status. The walSegment is the current
/// continuous run in the repository: every entry after <see cref="WalSegmentStart"/> up to
/// <see cref="WalSegmentEnd"/> is archived.
/// </summary>
public sealed record OplogArchiverStatus
{
    public required string Component { get; init; }

    public required ArchiverPhase Phase { get; init; }

    public OplogTimestamp? WalSegmentStart { get; init; }

    public DateTimeOffset? WalSegmentStartWall { get; init; }

    /// <summary>The newest archived (published) entry.</summary>
    public OplogTimestamp? WalSegmentEnd { get; init; }

    public DateTimeOffset? WalSegmentEndWall { get; init; }

    /// <summary>Newest majority-committed write's wall minus the newest archived entry's wall (zero when caught up).</summary>
    public TimeSpan? Lag { get; init; }

    /// <summary>
    /// About how long until the oldest unarchived entry would roll off: the time span of the oplog older than it
    /// (exact once the oplog is full and the write rate steady; an underestimate before that).
    /// </summary>
    public TimeSpan? OplogHeadroom { get; init; }

    public IReadOnlyList<ArchiverCondition> Conditions { get; init; } = [];

    public IReadOnlyList<ArchivedGap> Gaps { get; init; } = [];

    public long EntriesArchived { get; init; }

    public long ChunksPublished { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public bool Has(string conditionType) => Conditions.Any(c => c.Type == conditionType);
}
