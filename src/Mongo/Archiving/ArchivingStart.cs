using Archiver.Storage;
using Archiver.Storage.Layout;

namespace Archiver.Mongo.Archiving;

/// <summary>
/// Where one replica set's oplog stream goes and where it begins: the database's timeline, and the entry of this
/// replica set's own oplog after which it is archived when nothing is archived on that timeline for it yet (after its
/// restore's last write; null: from the oplog's start).
/// </summary>
public sealed record ArchivingStart(TimelineRecord Timeline, OplogTimestamp? StartAfter);
