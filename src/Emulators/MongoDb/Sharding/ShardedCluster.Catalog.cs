using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// The config server's catalog as the router changes it: sharding a collection, splitting a chunk, dropping, the
/// balancer switch. Documents have the 7.0 shapes of <c>config.collections</c> (<c>_id, lastmodEpoch, lastmod,
/// timestamp, uuid, key, unique, noBalance</c>) and <c>config.chunks</c> (<c>_id, uuid, min, max, shard, lastmod,
/// onCurrentShardSince, history</c>); see src/mongo/s/catalog/type_collection.h and type_chunk.h.
/// </summary>
internal sealed partial class ShardedCluster
{
    public async Task ShardCollectionAsync(string ns, BsonDocument keyPattern, bool unique, int? numInitialChunks, CancellationToken cancellation)
    {
        var key = new ShardKeyPattern(keyPattern);
        var (database, collection) = Names.Split(ns);
        Names.CheckCollection(database, collection);
        if (Routing().Collections.TryGetValue(ns, out var existing))
        {
            if (existing.Key.Pattern.Equals(keyPattern))
            {
                return;
            }

            throw new CommandError(ErrorCode.AlreadyInitialized, $"sharding already enabled for collection {ns} with options {{ key: {existing.Key.Pattern} }}");
        }

        if (unique && key.HashedField is not null)
        {
            throw new CommandError(ErrorCode.InvalidOptions, "hashed shard keys cannot be declared unique");
        }

        var primaryName = await EnsureDatabaseAsync(database, cancellation).ConfigureAwait(false);
        var primary = Shards[primaryName];
        var created = primary.State.EnsureCollection(database, collection, Guid.NewGuid(), new BsonDocument());
        BsonDocument options;
        bool empty;
        lock (primary.State.Sync)
        {
            options = (BsonDocument)created.Options.DeepClone();
            empty = created.Count == 0;
        }

        // A sharded collection has one UUID on every shard; MongoDB makes it on a shard when it first receives a chunk,
        // here on every shard at once (a shard without chunks keeps it empty), with the index the key needs.
        var indexName = string.Join('_', keyPattern.Select(e => $"{e.Name}_{e.Value}"));
        foreach (var name in ShardNames)
        {
            Shards[name].State.EnsureCollection(database, collection, created.Uuid, options);
            if (keyPattern.Names.SequenceEqual(["_id"]) && key.HashedField is null)
            {
                continue;
            }

            var reply = await SendAsync(Shards[name], database, new BsonDocument
            {
                { "createIndexes", collection },
                { "indexes", new BsonArray { new BsonDocument { { "key", keyPattern }, { "name", indexName } } } },
            }, cancellation).ConfigureAwait(false);
            Check(reply, name);
        }

        var ranges = new List<(BsonDocument Min, BsonDocument Max, string Shard)>();
        if (key.HashedField is not null && empty && key.Pattern.ElementCount == 1)
        {
            // MongoDB pre-splits an empty collection on a hashed key: 2 chunks per shard by default, even ranges of the
            // hash space handed out in turn (src/mongo/db/s/shard_key_util.cpp, InitialSplitPolicy).
            var count = numInitialChunks is > 0 ? numInitialChunks.Value : 2 * ShardNames.Count;
            var field = key.HashedField;
            var step = (ulong.MaxValue / (ulong)count) + 1;
            BsonValue low = BsonMinKey.Value;
            for (var i = 0; i < count; i++)
            {
                BsonValue high = i == count - 1 ? BsonMaxKey.Value : new BsonInt64(unchecked((long)((ulong)long.MinValue + (step * (ulong)(i + 1)))));
                ranges.Add((new BsonDocument(field, low), new BsonDocument(field, high), ShardNames[i % ShardNames.Count]));
                low = high;
            }
        }
        else
        {
            ranges.Add((key.GlobalMin, key.GlobalMax, primaryName));
        }

        var now = Config.LastAppliedTimestamp;
        var uuid = new BsonBinaryData(created.Uuid, GuidRepresentation.Standard);
        var chunks = new BsonArray(ranges.Select((r, i) => ChunkDocument(uuid, r.Min, r.Max, r.Shard, new BsonTimestamp(1, i), now)));
        await ConfigWriteAsync(new BsonDocument { { "insert", "chunks" }, { "documents", chunks } }, cancellation).ConfigureAwait(false);
        await ConfigWriteAsync(new BsonDocument
        {
            { "insert", "collections" },
            {
                "documents", new BsonArray
                {
                    new BsonDocument
                    {
                        { "_id", ns },
                        { "lastmodEpoch", ObjectId.GenerateNewId() },
                        { "lastmod", DateTime.UtcNow },
                        { "timestamp", now },
                        { "uuid", uuid },
                        { "key", keyPattern },
                        { "unique", unique },
                        { "noBalance", false },
                    },
                }
            },
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>Splits the chunk holding <paramref name="middle"/> at it (<c>sh.splitAt</c>): both halves stay on the chunk's shard.</summary>
    public async Task SplitAsync(string ns, BsonDocument middle, CancellationToken cancellation)
    {
        var info = Routing().Collections.GetValueOrDefault(ns)
            ?? throw new CommandError(ErrorCode.NamespaceNotSharded, $"{ns} is not sharded");
        if (!middle.Names.SequenceEqual(info.Key.Fields))
        {
            throw new CommandError(ErrorCode.BadValue, $"split point {middle} does not match the shard key {info.Key.Pattern}");
        }

        var chunk = info.Owner(middle);
        if (ShardKeyPattern.Compare(chunk.Min, middle) == 0)
        {
            throw new CommandError(ErrorCode.BadValue, $"cannot split chunk {chunk.Min} -> {chunk.Max} at its own min key");
        }

        var (major, minor) = NewestVersion(info);
        await ConfigWriteAsync(Update("chunks", new BsonDocument("_id", chunk.Id), new BsonDocument("$set", new BsonDocument
        {
            { "max", middle },
            { "lastmod", new BsonTimestamp(major, minor + 1) },
        })), cancellation).ConfigureAwait(false);
        var uuid = new BsonBinaryData(info.Uuid, GuidRepresentation.Standard);
        await ConfigWriteAsync(new BsonDocument
        {
            { "insert", "chunks" },
            { "documents", new BsonArray { ChunkDocument(uuid, middle, chunk.Max, chunk.Shard, new BsonTimestamp(major, minor + 2), Config.LastAppliedTimestamp) } },
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>The migration's commit on the config server: the chunk's owner, a new major version and its history.</summary>
    private async Task CommitChunkMoveAsync(ShardedCollectionInfo info, ChunkInfo chunk, string to, CancellationToken cancellation)
    {
        var (major, _) = NewestVersion(info);
        var now = Config.LastAppliedTimestamp;
        BsonArray history;
        lock (Config.State.Sync)
        {
            history = (BsonArray)(Config.State.Storage.Find("config", "chunks")?.Find(chunk.Id)?.GetValue("history", new BsonArray()) ?? new BsonArray()).DeepClone();
        }

        // Newest first, as the chunk's history is kept.
        history.Insert(0, new BsonDocument { { "validAfter", now }, { "shard", to } });
        await ConfigWriteAsync(Update("chunks", new BsonDocument("_id", chunk.Id), new BsonDocument("$set", new BsonDocument
        {
            { "shard", to },
            { "lastmod", new BsonTimestamp(major + 1, 0) },
            { "onCurrentShardSince", now },
            { "history", history },
        })), cancellation).ConfigureAwait(false);
    }

    /// <summary>A dropped collection leaves the catalog (5.0+ deletes its entry rather than marking it dropped).</summary>
    public async Task DropCollectionMetadataAsync(ShardedCollectionInfo info, CancellationToken cancellation)
    {
        await ConfigWriteAsync(Delete("chunks", new BsonDocument("uuid", new BsonBinaryData(info.Uuid, GuidRepresentation.Standard))), cancellation).ConfigureAwait(false);
        await ConfigWriteAsync(Delete("collections", new BsonDocument("_id", info.Namespace)), cancellation).ConfigureAwait(false);
    }

    public async Task DropDatabaseMetadataAsync(string database, CancellationToken cancellation)
    {
        foreach (var info in Routing().Collections.Values.Where(c => c.Database == database).ToList())
        {
            await DropCollectionMetadataAsync(info, cancellation).ConfigureAwait(false);
        }

        await ConfigWriteAsync(Delete("databases", new BsonDocument("_id", database)), cancellation).ConfigureAwait(false);
    }

    /// <summary>Whether the balancer is stopped (<c>config.settings</c> <c>{_id: "balancer", stopped: true}</c>).</summary>
    public bool BalancerStopped()
    {
        lock (Config.State.Sync)
        {
            return Config.State.Storage.Find("config", "settings")?.Find("balancer") is { } settings && settings.GetValue("stopped", false).ToBoolean();
        }
    }

    public Task SetBalancerStoppedAsync(bool stopped, CancellationToken cancellation) =>
        ConfigWriteAsync(Update("settings", new BsonDocument("_id", "balancer"), new BsonDocument("$set", new BsonDocument
        {
            { "stopped", stopped },
            { "mode", stopped ? "off" : "full" },
        }), upsert: true), cancellation);

    private static (int Major, int Minor) NewestVersion(ShardedCollectionInfo info)
    {
        var newest = info.Chunks.Select(c => c.Version).Max() ?? new BsonTimestamp(1, 0);
        return (newest.Timestamp, newest.Increment);
    }

    private static BsonDocument ChunkDocument(BsonBinaryData uuid, BsonDocument min, BsonDocument max, string shard, BsonTimestamp version, BsonTimestamp now) => new()
    {
        { "_id", ObjectId.GenerateNewId() },
        { "uuid", uuid },
        { "min", min },
        { "max", max },
        { "shard", shard },
        { "lastmod", version },
        { "onCurrentShardSince", now },
        { "history", new BsonArray { new BsonDocument { { "validAfter", now }, { "shard", shard } } } },
    };

    private static BsonDocument Update(string collection, BsonDocument query, BsonDocument update, bool upsert = false) => new()
    {
        { "update", collection },
        { "updates", new BsonArray { new BsonDocument { { "q", query }, { "u", update }, { "upsert", upsert } } } },
    };

    private static BsonDocument Delete(string collection, BsonDocument query) => new()
    {
        { "delete", collection },
        { "deletes", new BsonArray { new BsonDocument { { "q", query }, { "limit", 0 } } } },
    };
}
