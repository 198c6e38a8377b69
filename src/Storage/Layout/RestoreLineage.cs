namespace Archiver.Storage.Layout;

/// <summary>
/// Where a restored replica set's data came from: the timeline it was restored from and the last entry applied. The
/// restore records it in the replica set itself (see <c>Archiver.Mongo.Restore.LineageRecord</c>), so whatever
/// archives that replica set later, on any node or in its pod's sidecar, continues the history on a timeline branched
/// at exactly that point instead of writing into, or beside, the history it came from.
/// </summary>
/// <param name="SourcePrefix">The repository prefix restored from.</param>
/// <param name="SourceTimeline">The timeline the restore target fell on.</param>
/// <param name="SourceOwner">That timeline's owner: identifies the history even where two storages share prefixes.</param>
/// <param name="BranchedAfter">The last entry of <paramref name="SourceTimeline"/> the restore applied.</param>
/// <param name="BranchedAtWallUnixMs">The restore's target as wall time (milliseconds).</param>
/// <param name="ArchiveAfter">
/// The restored replica set's own oplog position after the restore's last write, where its archive starts; null
/// if it can no longer be found (the oplog rolled over before archiving started).
/// </param>
/// <param name="Target">The restore target as the user gave it, for reasons and status.</param>
public sealed record RestoreLineage(
    string SourcePrefix,
    uint SourceTimeline,
    string SourceOwner,
    OplogTimestamp BranchedAfter,
    long BranchedAtWallUnixMs,
    OplogTimestamp? ArchiveAfter,
    string Target);
