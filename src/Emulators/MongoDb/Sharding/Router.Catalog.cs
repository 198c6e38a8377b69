using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// Catalog commands through the router: a sharded collection's DDL goes to every shard (it exists on each with one
/// UUID), an unsharded one's to its database's primary shard; listings merge the shards' answers. Dropping a sharded
/// collection or a database also removes it from the config server's catalog.
/// </summary>
internal sealed partial class Router
{
    private void RegisterCatalog()
    {
        Add("create", async c =>
        {
            var primary = await _cluster.EnsureDatabaseAsync(c.Database, c.Cancellation).ConfigureAwait(false);
            return await SendAsync(c, primary, c.Database, c.Command).ConfigureAwait(false);
        });
        Add("createIndexes", c => OnCollectionShardsAsync(c, create: true));
        Add("dropIndexes", c => OnCollectionShardsAsync(c, create: false));
        Add("collMod", c => OnCollectionShardsAsync(c, create: false));
        Add("listIndexes", async c =>
        {
            var table = _cluster.Routing();
            if (!table.Primaries.TryGetValue(c.Database, out var primary))
            {
                throw new CommandError(ErrorCode.NamespaceNotFound, $"ns does not exist: {c.Database}.{c.Collection}");
            }

            var indexes = await DrainAsync(c, primary, c.Database, c.Command).ConfigureAwait(false);
            return CursorReply($"{c.Database}.{c.Collection}", indexes, null);
        });
        Add("listCollections", async c =>
        {
            if (OnConfigServer(c.Database))
            {
                return await PassToConfigAsync(c).ConfigureAwait(false);
            }

            var table = _cluster.Routing();
            var collections = table.Primaries.TryGetValue(c.Database, out var primary)
                ? await DrainAsync(c, primary, c.Database, c.Command).ConfigureAwait(false)
                : [];
            return CursorReply($"{c.Database}.$cmd.listCollections", collections, null);
        });
        Add("listDatabases", ListDatabasesAsync);
        Add("drop", async c =>
        {
            var table = _cluster.Routing();
            var info = table.Sharded(c.Database, c.Collection);
            if (info is null)
            {
                if (!table.Primaries.TryGetValue(c.Database, out var primary))
                {
                    return new BsonDocument("ok", 1.0);
                }

                return await SendAsync(c, primary, c.Database, c.Command).ConfigureAwait(false);
            }

            foreach (var shard in _cluster.ShardNames)
            {
                await SendAsync(c, shard, c.Database, c.Command).ConfigureAwait(false);
            }

            await _cluster.DropCollectionMetadataAsync(info, c.Cancellation).ConfigureAwait(false);
            return new BsonDocument { { "ns", info.Namespace }, { "ok", 1.0 } };
        });
        Add("dropDatabase", async c =>
        {
            if (!_cluster.Routing().Primaries.ContainsKey(c.Database))
            {
                return new BsonDocument("ok", 1.0);
            }

            foreach (var shard in _cluster.ShardNames)
            {
                var reply = await SendAsync(c, shard, c.Database, c.Command).ConfigureAwait(false);
                ShardedCluster.Check(reply, shard);
            }

            await _cluster.DropDatabaseMetadataAsync(c.Database, c.Cancellation).ConfigureAwait(false);
            return new BsonDocument { { "dropped", c.Database }, { "ok", 1.0 } };
        });
    }

    private async Task<BsonDocument> OnCollectionShardsAsync(RouterContext context, bool create)
    {
        var info = _cluster.Routing().Sharded(context.Database, context.Collection);
        if (info is null)
        {
            var primary = create
                ? await _cluster.EnsureDatabaseAsync(context.Database, context.Cancellation).ConfigureAwait(false)
                : _cluster.Routing().Primaries.GetValueOrDefault(context.Database)
                    ?? throw new CommandError(ErrorCode.NamespaceNotFound, $"ns does not exist: {context.Database}.{context.Collection}");
            return await SendAsync(context, primary, context.Database, context.Command).ConfigureAwait(false);
        }

        BsonDocument? first = null;
        foreach (var shard in _cluster.ShardNames)
        {
            var reply = await SendAsync(context, shard, context.Database, context.Command).ConfigureAwait(false);
            ShardedCluster.Check(reply, shard);
            first ??= reply;
        }

        return first!;
    }

    private async Task<BsonDocument> ListDatabasesAsync(RouterContext context)
    {
        var sizes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var sets = _cluster.ShardNames.Select(n => _cluster.Shards[n]).Append(_cluster.Config);
        foreach (var set in sets)
        {
            var reply = await set.RunAsync("admin", new BsonDocument { { "listDatabases", 1 } }, context.Cancellation).ConfigureAwait(false);
            ShardedCluster.Check(reply, set.State.Options.ReplicaSetName);
            foreach (var database in reply["databases"].AsBsonArray.Select(d => d.AsBsonDocument))
            {
                var name = database["name"].AsString;
                if (name == "local" || (set == _cluster.Config) != OnConfigServer(name))
                {
                    // local is each member's own; admin and config are the config server's.
                    continue;
                }

                sizes[name] = sizes.GetValueOrDefault(name) + database.GetValue("sizeOnDisk", 0L).ToInt64();
            }
        }

        var nameOnly = context.Flag("nameOnly");
        var list = new BsonArray(sizes.Select(s => nameOnly
            ? new BsonDocument("name", s.Key)
            : new BsonDocument { { "name", s.Key }, { "sizeOnDisk", s.Value }, { "empty", s.Value == 0 } }));
        var reply2 = new BsonDocument("databases", list);
        if (!nameOnly)
        {
            reply2.Add("totalSize", sizes.Values.Sum());
        }

        reply2.Add("ok", 1.0);
        return reply2;
    }
}
