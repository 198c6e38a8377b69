namespace Archiver.Storage.Oplog;

/// <summary>When compaction merges and when it removes what it merged.</summary>
public sealed record CompactionSettings
{
    /// <summary>Chunks whose newest entry is older than this are merged: an hour, so the recent past stays in small objects.</summary>
    public TimeSpan OlderThan { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a merged object must have been in the storage before the chunks it holds are removed: a restore planned
    /// from a listing just before the merge names the originals, and has this long to write its
    /// <see cref="RestoreLease"/>. Zero removes them in the same run (tools, tests).
    /// </summary>
    public TimeSpan RemoveAfter { get; init; } = TimeSpan.FromMinutes(15);

    public CompactionLimits Limits { get; init; } = new();
}
