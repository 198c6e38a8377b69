using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>One <c>config.chunks</c> document: the key range <c>[Min, Max)</c> and the shard that owns it.</summary>
internal sealed record ChunkInfo(ObjectId Id, BsonDocument Min, BsonDocument Max, string Shard, BsonTimestamp Version)
{
    public bool Contains(BsonDocument key) => ShardKeyPattern.Compare(Min, key) <= 0 && ShardKeyPattern.Compare(key, Max) < 0;

    public static ChunkInfo FromDocument(BsonDocument chunk) => new(
        chunk["_id"].AsObjectId,
        chunk["min"].AsBsonDocument,
        chunk["max"].AsBsonDocument,
        chunk["shard"].AsString,
        chunk["lastmod"].AsBsonTimestamp);
}
