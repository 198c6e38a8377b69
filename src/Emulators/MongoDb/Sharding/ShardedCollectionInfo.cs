using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>A sharded collection as <c>config.collections</c> and <c>config.chunks</c> describe it: key, UUID and chunks in key order.</summary>
internal sealed record ShardedCollectionInfo(string Namespace, Guid Uuid, ShardKeyPattern Key, IReadOnlyList<ChunkInfo> Chunks)
{
    public string Database => Namespace[..Namespace.IndexOf('.', StringComparison.Ordinal)];

    public string Collection => Namespace[(Namespace.IndexOf('.', StringComparison.Ordinal) + 1)..];

    /// <summary>The chunk holding <paramref name="key"/>; the chunks cover the whole key space, so there is always one.</summary>
    public ChunkInfo Owner(BsonDocument key) =>
        Chunks.FirstOrDefault(c => c.Contains(key)) ?? throw new InvalidOperationException($"no chunk of {Namespace} holds {key}");

    /// <summary>Whether a document stored on <paramref name="shard"/> belongs there; one that does not is an orphan a migration left.</summary>
    public bool Owns(string shard, BsonDocument document) => Owner(Key.KeyOf(document)).Shard == shard;

    public IEnumerable<string> Shards => Chunks.Select(c => c.Shard).Distinct(StringComparer.Ordinal);
}
