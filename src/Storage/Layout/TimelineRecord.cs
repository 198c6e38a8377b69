namespace Archiver.Storage.Layout;

/// <summary>
/// One timeline of a database's history. Timeline 1 starts with the first archived entry; each restore that
/// resumes archiving starts a new one whose <see cref="Parent"/> is the timeline it restored from and whose
/// history begins after <see cref="BranchedAfter"/>. <see cref="Owner"/> is the only database allowed to write it.
/// </summary>
public sealed record TimelineRecord(
    uint Id,
    uint? Parent,
    OplogTimestamp BranchedAfter,
    long BranchedAtWallUnixMs,
    string Owner,
    DateTimeOffset CreatedAt,
    string Reason);
