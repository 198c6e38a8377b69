using System.Collections.Concurrent;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// The <c>mongos</c> of an emulated sharded cluster: it answers hello as a router (<c>msg: "isdbgrid"</c>), keeps no
/// data, routes each command by the config server's routing table and merges the shards' answers. Writes go to the
/// shard owning the document's chunk (a write without the full shard key finds its document first, as 7.0 does);
/// reads gather from the shards, drop orphans a migration left, then sort, skip, limit and project. Transactions on
/// two shards or more commit in two phases. Clients authenticate as the config server's users (Router.Auth.cs).
/// Not supported: views, <c>$lookup</c>-like stages across collections; see docs/emulators.md.
/// </summary>
internal sealed partial class Router
{
    /// <summary>Commands that read or write routed data: they pass the migration gate shared.</summary>
    private static readonly HashSet<string> Routed = new(StringComparer.OrdinalIgnoreCase)
    {
        "insert", "update", "delete", "findAndModify", "find", "count", "distinct", "aggregate", "commitTransaction",
        "abortTransaction", "create", "createIndexes", "dropIndexes", "drop", "dropDatabase", "listCollections", "listIndexes",
    };

    private static long s_nextCursorId;

    private readonly ShardedCluster _cluster;
    private readonly Dictionary<string, Func<RouterContext, Task<BsonDocument>>> _handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<long, ListCursor> _cursors = new();

    public Router(ShardedCluster cluster)
    {
        _cluster = cluster;
        RegisterHandshake();
        RegisterAuth();
        RegisterAdmin();
        RegisterWrites();
        RegisterReads();
        RegisterCatalog();
        Add("commitTransaction", CommitTransactionAsync);
        Add("abortTransaction", AbortTransactionAsync);
    }

    public async Task<BsonDocument> DispatchAsync(BsonDocument command, string database, long connectionId, CancellationToken cancellation)
    {
        if (command.GetValue("$clusterTime", null) is BsonDocument { } gossip && gossip.GetValue("clusterTime", null) is BsonTimestamp time)
        {
            _cluster.ObserveClusterTime(time);
        }

        var name = command.ElementCount == 0 ? string.Empty : command.GetElement(0).Name;
        BsonDocument reply;
        RouterContext? context = null;
        try
        {
            if (!_handlers.TryGetValue(name, out var handler))
            {
                throw new CommandError(ErrorCode.CommandNotFound, $"no such command: '{name}' (not supported by the MongoDB emulator's mongos)");
            }

            CheckAuthenticated(name, connectionId);
            if (database == "local")
            {
                // Each member's own: a router has none and refuses it (mongos, src/mongo/s/commands/strategy.cpp).
                throw new CommandError(ErrorCode.IllegalOperation, "Can't use 'local' database through mongos");
            }

            context = new RouterContext(command, database, connectionId, cancellation);
            context.Transaction = OpenTransaction(context);
            if (Routed.Contains(name))
            {
                using (await _cluster.Gate.SharedAsync(cancellation).ConfigureAwait(false))
                {
                    reply = await handler(context).ConfigureAwait(false);
                }
            }
            else
            {
                reply = await handler(context).ConfigureAwait(false);
            }
        }
        catch (CommandError error)
        {
            reply = error.ToReply();
            if (context?.Transaction is not null && error.Labels.Count == 0 && name is not ("commitTransaction" or "abortTransaction"))
            {
                // A statement that fails inside a transaction aborts it; the driver may retry the whole transaction.
                reply["errorLabels"] = new BsonArray { "TransientTransactionError" };
            }
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or ArgumentException or KeyNotFoundException or FormatException)
        {
            reply = new CommandError(ErrorCode.InternalError, $"MongoDB emulator's mongos could not run '{name}': {e.GetType().Name}: {e.Message}").ToReply();
        }

        var clusterTime = _cluster.ClusterTimeDocument();
        reply["$clusterTime"] = clusterTime;
        reply["operationTime"] = clusterTime["clusterTime"];
        return reply;
    }

    private void Add(string name, Func<RouterContext, Task<BsonDocument>> handler) => _handlers.Add(name, handler);

    /// <summary>
    /// Sends a command to a shard as part of the client's command: inside a transaction with the session fields (and
    /// <c>startTransaction</c> plus the read concern on the shard's first statement), otherwise with the retryable
    /// write's session fields when the client sent them; always gossiping the router's cluster time (<see cref="ShardedCluster.SendAsync"/>).
    /// </summary>
    private async Task<BsonDocument> SendAsync(RouterContext context, string shard, string database, BsonDocument command)
    {
        var sent = new BsonDocument(command);
        foreach (var field in (string[])["lsid", "txnNumber", "autocommit", "startTransaction", "readConcern", "$clusterTime", "$db", "$readPreference", "writeConcern"])
        {
            sent.Remove(field);
        }

        if (context.Transaction is { } txn)
        {
            sent["lsid"] = txn.Lsid;
            sent["txnNumber"] = txn.TxnNumber;
            if (!txn.Participants.TryGetValue(shard, out var touched))
            {
                touched = new HashSet<string>(StringComparer.Ordinal);
                txn.Participants[shard] = touched;
                txn.ParticipantOrder.Add(shard);
                sent["startTransaction"] = true;
                if (txn.ReadConcern is { } readConcern)
                {
                    sent["readConcern"] = readConcern;
                }
            }

            sent["autocommit"] = false;
            if (sent.ElementCount > 0 && sent[0] is BsonString collection)
            {
                touched.Add($"{database}.{collection.Value}");
            }
        }
        else
        {
            foreach (var field in (string[])["lsid", "txnNumber"])
            {
                if (context.Command.TryGetValue(field, out var value))
                {
                    sent[field] = value;
                }
            }
        }

        return await _cluster.SendAsync(_cluster.Shard(shard), database, sent, context.Cancellation).ConfigureAwait(false);
    }

    /// <summary>Runs a cursor command on a shard and reads the cursor to its end.</summary>
    private async Task<List<BsonDocument>> DrainAsync(RouterContext context, string shard, string database, BsonDocument command)
    {
        var reply = await SendAsync(context, shard, database, command).ConfigureAwait(false);
        ShardedCluster.Check(reply, shard);
        var cursor = reply["cursor"].AsBsonDocument;
        var documents = cursor["firstBatch"].AsBsonArray.Select(d => d.AsBsonDocument).ToList();
        var id = cursor["id"].ToInt64();
        var collection = cursor["ns"].AsString[(database.Length + 1)..];
        while (id != 0)
        {
            var more = await SendAsync(context, shard, database, new BsonDocument { { "getMore", id }, { "collection", collection } }).ConfigureAwait(false);
            ShardedCluster.Check(more, shard);
            documents.AddRange(more["cursor"]["nextBatch"].AsBsonArray.Select(d => d.AsBsonDocument));
            id = more["cursor"]["id"].ToInt64();
        }

        return documents;
    }

    /// <summary>A cursor the router holds over merged results; the client pages it with getMore.</summary>
    private BsonDocument CursorReply(string ns, IEnumerable<BsonDocument> results, int? batchSize, bool singleBatch = false)
    {
        var cursor = new ListCursor(ns, results);
        var batch = cursor.Take(batchSize ?? 101);
        var id = 0L;
        if (!cursor.IsEmpty && !singleBatch)
        {
            id = Interlocked.Increment(ref s_nextCursorId);
            _cursors[id] = cursor;
        }

        return CursorReplies.Reply(ns, id, batch, "firstBatch");
    }
}
