using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// insert, update, delete and findAndModify through the router. On an unsharded collection the command goes whole to
/// the database's primary shard. On a sharded one an insert goes to the owner of each document's chunk (consecutive
/// documents of one shard in one batch); an update or delete naming the whole shard key by equality goes to that
/// key's owner; any other is sent to each shard restricted to the <c>_id</c>s of the matching documents that shard
/// owns (found first, as 7.0's writes without shard key do), so an orphan a migration left is never written. An upsert
/// must name the whole shard key (ShardKeyNotFound otherwise, as MongoDB answers). Each batch carries the statement
/// ids of the client's batch it holds (<c>stmtIds</c>), so a retryable write split over one shard is not taken for its
/// own retry.
/// </summary>
internal sealed partial class Router
{
    private void RegisterWrites()
    {
        Add("insert", InsertAsync);
        Add("update", c => WriteByQueryAsync(c, "updates", isDelete: false));
        Add("delete", c => WriteByQueryAsync(c, "deletes", isDelete: true));
        Add("findAndModify", FindAndModifyAsync);
    }

    private static bool OnConfigServer(string database) => database is "config" or "admin";

    /// <summary>Commands on <c>admin</c> and <c>config</c> go to the config server, as mongos sends them.</summary>
    private async Task<BsonDocument> PassToConfigAsync(RouterContext context)
    {
        var command = new BsonDocument(context.Command);
        foreach (var field in (string[])["lsid", "txnNumber", "autocommit", "startTransaction", "$clusterTime", "$db", "$readPreference"])
        {
            command.Remove(field);
        }

        var reply = await _cluster.Config.RunAsync(context.Database, command, context.Cancellation).ConfigureAwait(false);
        reply.Remove("$clusterTime");
        return reply;
    }

    private async Task<BsonDocument> InsertAsync(RouterContext context)
    {
        if (OnConfigServer(context.Database))
        {
            return await PassToConfigAsync(context).ConfigureAwait(false);
        }

        var primary = await _cluster.EnsureDatabaseAsync(context.Database, context.Cancellation).ConfigureAwait(false);
        var info = _cluster.Routing().Sharded(context.Database, context.Collection);
        if (info is null)
        {
            return await SendAsync(context, primary, context.Database, context.Command).ConfigureAwait(false);
        }

        var documents = context.Command["documents"].AsBsonArray.Select(d => d.AsBsonDocument).ToList();
        var ordered = context.Command.GetValue("ordered", true).ToBoolean();
        var owners = new List<string?>();
        var errors = new BsonArray();
        for (var i = 0; i < documents.Count; i++)
        {
            if (!documents[i].Contains("_id"))
            {
                documents[i].InsertAt(0, new BsonElement("_id", ObjectId.GenerateNewId()));
            }

            try
            {
                owners.Add(info.Owner(info.Key.KeyOf(documents[i])).Shard);
            }
            catch (CommandError error)
            {
                owners.Add(null);
                errors.Add(error.ToWriteError(i));
            }
        }

        var n = 0;
        var start = 0;
        while (start < documents.Count)
        {
            if (owners[start] is not { } shard)
            {
                if (ordered)
                {
                    break;
                }

                start++;
                continue;
            }

            var end = start + 1;
            while (end < documents.Count && owners[end] == shard)
            {
                end++;
            }

            CheckUuid(info, shard);

            var reply = await SendAsync(context, shard, context.Database, new BsonDocument
            {
                { "insert", context.Collection },
                { "documents", new BsonArray(documents.GetRange(start, end - start)) },
                { "ordered", ordered },
                { "stmtIds", new BsonArray(Enumerable.Range(start, end - start)) },
            }).ConfigureAwait(false);
            ShardedCluster.Check(reply, shard);
            n += reply.GetValue("n", 0).ToInt32();
            var failed = MergeWriteErrors(reply, start, errors);
            if (ordered && failed)
            {
                break;
            }

            start = end;
        }

        return WriteReply(n, errors);
    }

    private async Task<BsonDocument> WriteByQueryAsync(RouterContext context, string statementsField, bool isDelete)
    {
        if (OnConfigServer(context.Database))
        {
            return await PassToConfigAsync(context).ConfigureAwait(false);
        }

        var table = _cluster.Routing();
        var info = table.Sharded(context.Database, context.Collection);
        if (info is null)
        {
            var primary = await _cluster.EnsureDatabaseAsync(context.Database, context.Cancellation).ConfigureAwait(false);
            return await SendAsync(context, primary, context.Database, context.Command).ConfigureAwait(false);
        }

        var ordered = context.Command.GetValue("ordered", true).ToBoolean();
        var statements = context.Command[statementsField].AsBsonArray.Select(s => s.AsBsonDocument).ToList();
        var totals = new WriteTotals();
        for (var i = 0; i < statements.Count; i++)
        {
            var statement = statements[i];
            var failedBefore = totals.Errors.Count;
            var query = statement.GetValue("q", new BsonDocument()).AsBsonDocument;
            var many = isDelete ? statement.GetValue("limit", 0).ToInt32() == 0 : statement.GetValue("multi", false).ToBoolean();
            if (info.Key.KeyOfQuery(query) is { } key)
            {
                CheckUuid(info, info.Owner(key).Shard);
                await SendStatementAsync(context, info.Owner(key).Shard, statementsField, statement, i, totals).ConfigureAwait(false);
            }
            else if (!isDelete && statement.GetValue("upsert", false).ToBoolean())
            {
                totals.Errors.Add(new CommandError(ErrorCode.ShardKeyNotFound, $"Failed to target upsert by query :: could not extract exact shard key from {query} for {info.Key.Pattern}").ToWriteError(i));
            }
            else
            {
                foreach (var shard in _cluster.ShardNames)
                {
                    var ids = await OwnedIdsAsync(context, info, shard, query).ConfigureAwait(false);
                    if (ids.Count == 0)
                    {
                        continue;
                    }

                    var restricted = new BsonDocument(statement)
                    {
                        ["q"] = new BsonDocument("$and", new BsonArray { query, new BsonDocument("_id", many ? new BsonDocument("$in", new BsonArray(ids)) : ids[0]) }),
                    };
                    await SendStatementAsync(context, shard, statementsField, restricted, i, totals).ConfigureAwait(false);
                    if (!many)
                    {
                        break;
                    }
                }
            }

            if (ordered && totals.Errors.Count > failedBefore)
            {
                break;
            }
        }

        var reply = WriteReply(totals.N, totals.Errors);
        if (!isDelete)
        {
            reply.InsertAt(1, new BsonElement("nModified", totals.Modified));
            if (totals.Upserted.Count > 0)
            {
                reply.InsertAt(2, new BsonElement("upserted", totals.Upserted));
            }
        }

        return reply;
    }

    private async Task SendStatementAsync(RouterContext context, string shard, string statementsField, BsonDocument statement, int index, WriteTotals totals)
    {
        var reply = await SendAsync(context, shard, context.Database, new BsonDocument
        {
            { context.Name, context.Collection },
            { statementsField, new BsonArray { statement } },
            { "ordered", true },
            { "stmtIds", new BsonArray { index } },
        }).ConfigureAwait(false);
        ShardedCluster.Check(reply, shard);
        totals.N += reply.GetValue("n", 0).ToInt32();
        totals.Modified += reply.GetValue("nModified", 0).ToInt32();
        foreach (var upserted in reply.GetValue("upserted", new BsonArray()).AsBsonArray)
        {
            totals.Upserted.Add(new BsonDocument { { "index", index }, { "_id", upserted["_id"] } });
        }

        MergeWriteErrors(reply, index, totals.Errors);
    }

    private async Task<BsonDocument> FindAndModifyAsync(RouterContext context)
    {
        if (OnConfigServer(context.Database))
        {
            return await PassToConfigAsync(context).ConfigureAwait(false);
        }

        var info = _cluster.Routing().Sharded(context.Database, context.Collection);
        if (info is null)
        {
            var primary = await _cluster.EnsureDatabaseAsync(context.Database, context.Cancellation).ConfigureAwait(false);
            return await SendAsync(context, primary, context.Database, context.Command).ConfigureAwait(false);
        }

        var query = context.DocumentOrNull("query") ?? new BsonDocument();
        if (info.Key.KeyOfQuery(query) is { } key)
        {
            CheckUuid(info, info.Owner(key).Shard);
            return await SendAsync(context, info.Owner(key).Shard, context.Database, context.Command).ConfigureAwait(false);
        }

        if (context.Flag("upsert"))
        {
            throw new CommandError(ErrorCode.ShardKeyNotFound, $"Query for sharded findAndModify must contain the shard key {info.Key.Pattern}");
        }

        // The first matching owned document in the requested order, wherever it lives; then the write on its shard by _id.
        var candidates = new List<(string Shard, BsonDocument Document)>();
        foreach (var shard in _cluster.ShardNames)
        {
            foreach (var document in await OwnedAsync(context, info, shard, query).ConfigureAwait(false))
            {
                candidates.Add((shard, document));
            }
        }

        var sorted = Sorting.Apply(candidates.Select(c => c.Document), context.DocumentOrNull("sort")).FirstOrDefault();
        if (sorted is null)
        {
            return new BsonDocument { { "lastErrorObject", new BsonDocument { { "n", 0 }, { "updatedExisting", false } } }, { "value", BsonNull.Value }, { "ok", 1.0 } };
        }

        var owner = candidates.First(c => ReferenceEquals(c.Document, sorted)).Shard;
        var targeted = new BsonDocument(context.Command)
        {
            ["query"] = new BsonDocument("$and", new BsonArray { query, new BsonDocument("_id", sorted["_id"]) }),
        };
        return await SendAsync(context, owner, context.Database, targeted).ConfigureAwait(false);
    }

    /// <summary>The matching documents <paramref name="shard"/> owns (orphans left out).</summary>
    private async Task<List<BsonDocument>> OwnedAsync(RouterContext context, ShardedCollectionInfo info, string shard, BsonDocument? filter)
    {
        CheckUuid(info, shard);
        var command = new BsonDocument { { "find", info.Collection }, { "batchSize", int.MaxValue } };
        if (filter is not null)
        {
            command.Add("filter", filter);
        }

        var documents = await DrainAsync(context, shard, info.Database, command).ConfigureAwait(false);
        return documents.Where(d => info.Owns(shard, d)).ToList();
    }

    private async Task<List<BsonValue>> OwnedIdsAsync(RouterContext context, ShardedCollectionInfo info, string shard, BsonDocument query) =>
        (await OwnedAsync(context, info, shard, query).ConfigureAwait(false)).Select(d => d["_id"]).ToList();

    /// <summary>
    /// A shard holds a sharded collection under the one UUID the catalog names (MongoDB's shards check it against their
    /// filtering metadata, src/mongo/db/s/collection_sharding_runtime.cpp): a collection made anew under the name, as a
    /// restore without its UUIDs makes it, is refused rather than served as if it were the catalogued one.
    /// </summary>
    private void CheckUuid(ShardedCollectionInfo info, string shard)
    {
        var state = _cluster.Shard(shard).State;
        lock (state.Sync)
        {
            if (state.Storage.Find(info.Database, info.Collection) is { } held && held.Uuid != info.Uuid)
            {
                throw new CommandError(ErrorCode.CollectionUUIDMismatch, $"Collection {info.Namespace} on shard {shard} has UUID {held.Uuid}, but the sharding catalog names {info.Uuid}");
            }
        }
    }

    /// <summary>Adds a shard's write errors with their index in the client's batch; true if there were any.</summary>
    private static bool MergeWriteErrors(BsonDocument reply, int offset, BsonArray errors)
    {
        if (reply.GetValue("writeErrors", null) is not BsonArray { Count: > 0 } shardErrors)
        {
            return false;
        }

        foreach (var error in shardErrors.Select(e => (BsonDocument)e.DeepClone()))
        {
            error["index"] = error["index"].ToInt32() + offset;
            errors.Add(error);
        }

        return true;
    }

    private static BsonDocument WriteReply(int n, BsonArray errors)
    {
        var reply = new BsonDocument("n", n);
        if (errors.Count > 0)
        {
            reply.Add("writeErrors", errors);
        }

        reply.Add("ok", 1.0);
        return reply;
    }

    private sealed class WriteTotals
    {
        public int N { get; set; }

        public int Modified { get; set; }

        public BsonArray Upserted { get; } = [];

        public BsonArray Errors { get; } = [];
    }
}
