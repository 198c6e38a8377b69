using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>The router's handshake, cursors and the sharding administration commands (<c>sh.*</c> helpers send these).</summary>
internal sealed partial class Router
{
    private void RegisterHandshake()
    {
        Add("hello", c => Task.FromResult(Hello(c, legacy: false)));
        Add("isMaster", c => Task.FromResult(Hello(c, legacy: true)));
        Add("ping", _ => Ok());
        Add("buildInfo", _ => Task.FromResult(new BsonDocument
        {
            { "version", HandshakeCommands.Version },
            { "gitVersion", "archiver-emulator" },
            { "versionArray", new BsonArray { 7, 0, 14, 0 } },
            { "bits", 64 },
            { "maxBsonObjectSize", 16 * 1024 * 1024 },
            { "archiverEmulator", true },
            { "ok", 1.0 },
        }));
        Add("getParameter", _ => Ok());
        Add("endSessions", _ => Ok());
        Add("killSessions", _ => Ok());
        Add("isdbgrid", _ => Task.FromResult(new BsonDocument { { "isdbgrid", 1 }, { "hostname", "127.0.0.1" }, { "ok", 1.0 } }));
        Add("connectionStatus", _ => Task.FromResult(new BsonDocument
        {
            { "authInfo", new BsonDocument { { "authenticatedUsers", new BsonArray() }, { "authenticatedUserRoles", new BsonArray() } } },
            { "ok", 1.0 },
        }));
        Add("whatsmyuri", c => Task.FromResult(new BsonDocument { { "you", $"127.0.0.1:{c.ConnectionId}" }, { "ok", 1.0 } }));
        Add("serverStatus", _ => Task.FromResult(new BsonDocument
        {
            { "version", HandshakeCommands.Version },
            { "process", "mongos" },
            { "localTime", DateTime.UtcNow },
            { "ok", 1.0 },
        }));
        Add("getMore", GetMore);
        Add("killCursors", c =>
        {
            var killed = new BsonArray();
            var notFound = new BsonArray();
            foreach (var id in c.Command.GetValue("cursors", new BsonArray()).AsBsonArray)
            {
                (_cursors.TryRemove(id.ToInt64(), out _) ? killed : notFound).Add(id);
            }

            return Task.FromResult(new BsonDocument { { "cursorsKilled", killed }, { "cursorsNotFound", notFound }, { "cursorsAlive", new BsonArray() }, { "cursorsUnknown", new BsonArray() }, { "ok", 1.0 } });
        });
    }

    private void RegisterAdmin()
    {
        Add("listShards", _ => Task.FromResult(new BsonDocument
        {
            { "shards", new BsonArray(ConfigDocuments("shards")) },
            { "ok", 1.0 },
        }));
        Add("getShardMap", _ => Task.FromResult(ShardMap()));
        Add("flushRouterConfig", _ => Ok());
        Add("enableSharding", async c =>
        {
            await _cluster.EnsureDatabaseAsync(c.Command[0].AsString, c.Cancellation).ConfigureAwait(false);
            return new BsonDocument("ok", 1.0);
        });
        Add("shardCollection", async c =>
        {
            var ns = c.Command[0].AsString;
            var key = c.DocumentOrNull("key") ?? throw new CommandError(ErrorCode.IdlMissingField, "BSON field 'shardCollection.key' is missing but a required field");
            await _cluster.ShardCollectionAsync(ns, key, c.Flag("unique"), c.IntOrNull("numInitialChunks"), c.Cancellation).ConfigureAwait(false);
            return new BsonDocument { { "collectionsharded", ns }, { "ok", 1.0 } };
        });
        Add("split", async c =>
        {
            var middle = c.DocumentOrNull("middle") ?? throw new CommandError(ErrorCode.BadValue, "split needs 'middle' (a split point); 'find' and 'bounds' are not supported by the emulator");
            await _cluster.SplitAsync(c.Command[0].AsString, middle, c.Cancellation).ConfigureAwait(false);
            return new BsonDocument("ok", 1.0);
        });
        Add("moveChunk", async c =>
        {
            var ns = c.Command[0].AsString;
            var to = c.Command.GetValue("to", null) as BsonString ?? throw new CommandError(ErrorCode.IdlMissingField, "BSON field 'moveChunk.to' is missing but a required field");
            BsonDocument key;
            if (c.DocumentOrNull("find") is { } find)
            {
                var info = _cluster.Routing().Collections.GetValueOrDefault(ns) ?? throw new CommandError(ErrorCode.NamespaceNotSharded, $"{ns} is not sharded");
                key = info.Key.KeyOfQuery(find) ?? throw new CommandError(ErrorCode.ShardKeyNotFound, $"'find' {find} does not name the whole shard key {info.Key.Pattern}");
            }
            else if (c.Command.GetValue("bounds", null) is BsonArray { Count: 2 } bounds)
            {
                key = bounds[0].AsBsonDocument;
            }
            else
            {
                throw new CommandError(ErrorCode.BadValue, "moveChunk needs 'find' or 'bounds'");
            }

            await _cluster.MoveChunkAsync(ns, key, to.Value, c.Cancellation).ConfigureAwait(false);
            return new BsonDocument { { "millis", 0 }, { "ok", 1.0 } };
        });
        Add("balancerStart", async c =>
        {
            await _cluster.SetBalancerStoppedAsync(false, c.Cancellation).ConfigureAwait(false);
            return new BsonDocument("ok", 1.0);
        });
        Add("balancerStop", async c =>
        {
            await _cluster.StopBalancerAsync(c.Cancellation).ConfigureAwait(false);
            return new BsonDocument("ok", 1.0);
        });
        Add("balancerStatus", _ => Task.FromResult(new BsonDocument
        {
            { "mode", _cluster.BalancerStopped() ? "off" : "full" },
            { "inBalancerRound", _cluster.InBalancerRound },
            { "numBalancerRounds", _cluster.BalancerRounds },
            { "ok", 1.0 },
        }));
    }

    private static Task<BsonDocument> Ok() => Task.FromResult(new BsonDocument("ok", 1.0));

    private BsonDocument Hello(RouterContext context, bool legacy)
    {
        var reply = new BsonDocument
        {
            { legacy ? "ismaster" : "isWritablePrimary", true },
            { "msg", "isdbgrid" },
        };
        reply.AddRange(HandshakeCommands.Limits(context.ConnectionId));
        if (context.Flag("helloOk"))
        {
            reply.Add("helloOk", true);
        }

        AddMechanisms(context, reply);
        reply.Add("ok", 1.0);
        return reply;
    }

    /// <summary>
    /// getShardMap: every replica set of the cluster by name with its connection string, the config server as
    /// <c>config</c> (what a backup tool reads to find the shards and the config server it must reach directly). The
    /// shards are as <c>config.shards</c> names them, as mongos's ShardRegistry has them: after a config server was
    /// restored from another cluster's volume, that cluster's hosts until the documents are rewritten.
    /// </summary>
    private BsonDocument ShardMap()
    {
        var map = new BsonDocument("config", ShardedCluster.HostString(_cluster.Config.State.Options.ReplicaSetName, _cluster.Config));
        var hosts = new BsonDocument();
        var connStrings = new BsonDocument();
        var registered = _cluster.Routing().Shards;
        foreach (var name in registered.Count > 0 ? [.. registered.Keys.Order(StringComparer.Ordinal)] : _cluster.ShardNames.ToList())
        {
            var connection = registered.GetValueOrDefault(name) ?? ShardedCluster.HostString(name, _cluster.Shards[name]);
            map.Add(name, connection);
            connStrings.Add(connection, name);
            foreach (var host in connection[(connection.IndexOf('/', StringComparison.Ordinal) + 1)..].Split(','))
            {
                hosts.Set(host, name);
            }
        }

        foreach (var host in _cluster.Config.Hosts)
        {
            hosts.Add(host, "config");
        }

        return new BsonDocument { { "map", map }, { "hosts", hosts }, { "connStrings", connStrings }, { "ok", 1.0 } };
    }

    private List<BsonDocument> ConfigDocuments(string collection)
    {
        lock (_cluster.Config.State.Sync)
        {
            return _cluster.Config.State.Storage.Find("config", collection)?.Documents.ToList() ?? [];
        }
    }

    private Task<BsonDocument> GetMore(RouterContext context)
    {
        var id = context.Command[0].ToInt64();
        if (!_cursors.TryGetValue(id, out var cursor))
        {
            throw new CommandError(ErrorCode.CursorNotFound, $"cursor id {id} not found");
        }

        var batch = cursor.Take(context.IntOrNull("batchSize"));
        if (cursor.IsEmpty)
        {
            _cursors.TryRemove(id, out _);
        }

        return Task.FromResult(CursorReplies.Reply(cursor.Namespace, cursor.IsEmpty ? 0 : id, batch, "nextBatch"));
    }
}
