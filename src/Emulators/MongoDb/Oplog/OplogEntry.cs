using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// One stored oplog entry, kept as its BSON: one array, not the tree of a dozen objects a decoded entry is. The oplog
/// holds every entry a restore writes, and the GC copied and marked those trees on every collection (the bench's
/// applyOps replay of 22,600 entries spent a third of its time in GC, and with the oplog not kept at all, an experiment,
/// it took ~300 ms instead of ~490; see docs/performance.md). Entries are written
/// once and read seldom (a tailing cursor, a find or aggregate on <c>local.oplog.rs</c>, a checkpoint), so each read
/// decodes its own copy, which its reader may keep or change.
/// </summary>
internal sealed class OplogEntry(long position, byte[] bson)
{
    /// <summary>The entry's <c>ts</c> as its 64-bit value: the oplog's order.</summary>
    public long Position { get; } = position;

    public BsonTimestamp Ts => new(Position);

    /// <summary>The entry's BSON, as <c>ToBson()</c> gives it. Not to be changed.</summary>
    public byte[] Bson { get; } = bson;

    public int Size => Bson.Length;

    /// <summary>The entry as a document of its reader's own.</summary>
    public BsonDocument Decode() => BsonIdentity.Decode(Bson, 0, Bson.Length);
}
