using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// What a replica set does as a shard of an emulated sharded cluster (<see cref="Sharding.ShardedMongoEmulator"/>):
/// the two halves of a chunk migration and the cluster time it gossips. MongoDB runs a migration through internal
/// commands (<c>_recvChunkStart</c>, <c>_migrateClone</c>, range deletion; src/mongo/db/s/migration_*.cpp); here the
/// router calls these in process. What reaches the oplog is what MongoDB logs: the recipient's inserts and the donor's
/// deletes, each with <c>fromMigrate: true</c>.
/// </summary>
internal sealed partial class ReplicaSetState
{
    /// <summary>The newest cluster time this set has issued or seen. Caller holds <see cref="Sync"/>.</summary>
    public BsonTimestamp ClusterTime => Clock.Current;

    /// <summary>
    /// Moves the clock past a cluster time a client or router brought (the <c>$clusterTime</c> gossip of
    /// src/mongo/db/logical_clock.cpp), so an entry logged after it gets a later <c>ts</c> than anything the sender saw,
    /// on whichever shard. This is what makes one shard's timestamps comparable with another's.
    /// </summary>
    public void ObserveClusterTime(BsonTimestamp time)
    {
        lock (Sync)
        {
            Clock.Observe(time);
        }
    }

    /// <summary>
    /// The documents of one collection whose shard key lies in <c>[min, max)</c>: what a donor clones. Copies, read
    /// under the lock, so the migration sees one moment of the collection.
    /// </summary>
    public List<BsonDocument> ReadRange(string database, string collection, Func<BsonDocument, bool> inRange)
    {
        lock (Sync)
        {
            return Storage.Find(database, collection)?.Documents.Where(inRange).ToList() ?? [];
        }
    }

    /// <summary>
    /// The recipient's side: the collection is made with the donor's UUID if missing (a sharded collection has one UUID
    /// on every shard), then each document is inserted, or replaces an orphan left by an earlier migration, and logged
    /// as an insert with <c>fromMigrate: true</c>.
    /// </summary>
    public void ReceiveMigrated(string database, string collection, Guid uuid, BsonDocument options, IReadOnlyList<BsonDocument> documents)
    {
        lock (Sync)
        {
            var target = Storage.Find(database, collection) ?? CreateCollection(database, collection, options, uuid);
            foreach (var document in documents)
            {
                target.Put(document);
                Append("i", target.Namespace, target.Uuid, document, CompactDocument.IdOf(document["_id"]), fromMigrate: true);
            }
        }
    }

    /// <summary>The donor's range deletion after the commit: each document removed and logged with <c>fromMigrate: true</c>.</summary>
    public void RemoveMigrated(string database, string collection, IReadOnlyList<BsonValue> ids)
    {
        lock (Sync)
        {
            if (Storage.Find(database, collection) is not { } source)
            {
                return;
            }

            foreach (var id in ids)
            {
                if (source.Remove(id))
                {
                    Append("d", source.Namespace, source.Uuid, CompactDocument.IdOf(id), null, fromMigrate: true);
                }
            }
        }
    }

    /// <summary>A collection a router makes on a shard before it owns any chunk of it, with the collection's one UUID.</summary>
    public CollectionState EnsureCollection(string database, string collection, Guid uuid, BsonDocument options)
    {
        lock (Sync)
        {
            return Storage.Find(database, collection) ?? CreateCollection(database, collection, options, uuid);
        }
    }
}
