namespace Archiver.Storage.Layout;

/// <summary>
/// One timeline of a database's history. Timeline 1 of a fresh prefix starts with the first archived entry. A
/// database restored from a history archives on a timeline of its own whose <see cref="Parent"/> is the timeline
/// it was restored from (under this prefix, or under <see cref="ParentPrefix"/> of the same storage): its history
/// is the parent's up to and including <see cref="BranchedAfter"/>, then its own replica set's oplog after
/// <see cref="ArchiveAfter"/>. <see cref="Owner"/> (a MongoDB resource's <c>metadata.uid</c>) is the only database
/// allowed to write it. See docs/storage.md, "Timelines".
/// </summary>
/// <param name="BranchedAfter">The parent's last entry the restore applied (in the parent's oplog).</param>
/// <param name="BranchedAtWallUnixMs">
/// The branch point in wall time: the restore's target (or the last applied entry's wall for a <c>ts</c> target).
/// Targets at or after it fall on this timeline; earlier ones on the parent, whose history up to here is the same.
/// </param>
public sealed record TimelineRecord(
    uint Id,
    uint? Parent,
    OplogTimestamp BranchedAfter,
    long BranchedAtWallUnixMs,
    string Owner,
    DateTimeOffset CreatedAt,
    string Reason)
{
    /// <summary>The prefix (same storage) that holds <see cref="Parent"/>; null when it is this prefix.</summary>
    public string? ParentPrefix { get; init; }

    /// <summary>
    /// Where this timeline's own oplog starts, in its owner's replica set: after the restore's last write, so what the
    /// restore replayed is never archived again. Null for a first archive (it starts where the oplog does) or when the
    /// position was lost; then nothing can be replayed across the branch, and the timeline is restorable only from its
    /// own full backups.
    /// </summary>
    public OplogTimestamp? ArchiveAfter { get; init; }

    /// <summary>The owner of the parent timeline when the branch was made: a parent rewritten by someone else is not followed.</summary>
    public string? ParentOwner { get; init; }
}
