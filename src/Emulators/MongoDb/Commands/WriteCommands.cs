using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Query;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// insert, update and delete. Each document written is one oplog entry: inserts <c>{op:'i', o:doc, o2:{_id}}</c>,
/// updates <c>{op:'u', o:{$v:2, diff}, o2:{_id}}</c> (a replacement logs the full document), deletes
/// <c>{op:'d', o:{_id}}</c>. An update that changes nothing logs nothing.
/// </summary>
internal static class WriteCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("insert", c => Task.FromResult(Insert(c)));
        dispatcher.Add("update", c => Task.FromResult(Update(c)));
        dispatcher.Add("delete", c => Task.FromResult(Delete(c)));
        dispatcher.Add("findAndModify", c => Task.FromResult(FindAndModifyCommand.Run(c)));
    }

    private static BsonDocument Insert(CommandContext context)
    {
        var documents = Statements(context, "documents");
        var ordered = !context.Command.TryGetValue("ordered", out var o) || o.ToBoolean();
        var errors = new BsonArray();
        var n = 0;
        lock (context.State.Sync)
        {
            if (TimeSeriesCatalog.Find(context.State.Storage, context.Database, context.Collection) is { } timeSeries)
            {
                return TimeSeriesBuckets.Insert(context, timeSeries, documents, ordered);
            }

            var collection = context.View.FindOrCreate(context.Database, context.Collection, out _);
            for (var i = 0; i < documents.Count; i++)
            {
                // Freshly decoded from the wire and owned by nobody else, so stored without a copy.
                var document = UpdateOperators.WithIdFirst(documents[i].AsBsonDocument);
                if (!collection.TryInsert(document))
                {
                    errors.Add(DuplicateKey(collection, document["_id"]).ToWriteError(i));
                    if (ordered)
                    {
                        break;
                    }

                    continue;
                }

                context.View.Log("i", collection, document, CompactDocument.IdOf(document["_id"]));
                n++;
            }
        }

        return WriteReply(n, errors);
    }

    private static BsonDocument Update(CommandContext context)
    {
        var statements = Statements(context, "updates");
        var ordered = !context.Command.TryGetValue("ordered", out var o) || o.ToBoolean();
        var errors = new BsonArray();
        var upserted = new BsonArray();
        int n = 0, modified = 0;
        lock (context.State.Sync)
        {
            for (var i = 0; i < statements.Count; i++)
            {
                var spec = statements[i].AsBsonDocument;
                try
                {
                    var result = UpdateOne(context, spec.GetValue("q", new BsonDocument()).AsBsonDocument, UpdateDocument(spec), spec.GetValue("upsert", false).ToBoolean(), spec.GetValue("multi", false).ToBoolean());
                    n += result.Matched;
                    modified += result.Modified;
                    if (result.UpsertedId is not null)
                    {
                        n++;
                        upserted.Add(new BsonDocument { { "index", i }, { "_id", result.UpsertedId } });
                    }
                }
                catch (CommandError error)
                {
                    errors.Add(error.ToWriteError(i));
                    if (ordered)
                    {
                        break;
                    }
                }
            }
        }

        var reply = new BsonDocument { { "n", n }, { "nModified", modified } };
        if (upserted.Count > 0)
        {
            reply.Add("upserted", upserted);
        }

        return AddErrors(reply, errors);
    }

    /// <summary>Runs one update statement. Caller holds the lock.</summary>
    public static UpdateResult UpdateOne(CommandContext context, BsonDocument query, BsonDocument update, bool upsert, bool multi, BsonDocument? sort = null)
    {
        if (multi && !UpdateOperators.IsOperatorUpdate(update))
        {
            throw new CommandError(ErrorCode.FailedToParse, "multi update is not supported for replacement-style update");
        }

        var collection = context.View.Find(context.Database, context.Collection);
        var matches = Sorting.Apply(ReplicaSetState.Scan(collection, query), sort).ToList();
        if (!multi && matches.Count > 1)
        {
            matches.RemoveRange(1, matches.Count - 1);
        }

        if (matches.Count == 0)
        {
            if (!upsert)
            {
                return new UpdateResult(0, 0, null, null, null);
            }

            collection ??= context.View.FindOrCreate(context.Database, context.Collection, out _);
            var inserted = UpdateOperators.UpsertDocument(query, update);
            if (!collection.TryInsert(inserted))
            {
                throw DuplicateKey(collection, inserted["_id"]);
            }

            context.View.Log("i", collection, inserted, CompactDocument.IdOf(inserted["_id"]));
            return new UpdateResult(0, 0, inserted["_id"], null, inserted);
        }

        var modified = 0;
        BsonDocument? lastPre = null, lastPost = null;
        foreach (var pre in matches)
        {
            var post = UpdateOperators.Apply(pre, update, inserting: false);
            lastPre = pre;
            lastPost = post;
            if (BsonIdentity.BinaryEquals(pre, post))
            {
                continue;
            }

            collection!.Put(post);
            var o = UpdateOperators.IsOperatorUpdate(update) ? UpdateDiff.OplogObject(pre, post) : post;
            context.View.Log("u", collection, o, CompactDocument.IdOf(post["_id"]));
            modified++;
        }

        return new UpdateResult(matches.Count, modified, null, lastPre, lastPost);
    }

    private static BsonDocument Delete(CommandContext context)
    {
        var statements = Statements(context, "deletes");
        var n = 0;
        lock (context.State.Sync)
        {
            var collection = context.View.Find(context.Database, context.Collection);
            foreach (var statement in statements.Select(s => s.AsBsonDocument))
            {
                var matches = ReplicaSetState.Scan(collection, statement.GetValue("q", new BsonDocument()).AsBsonDocument).ToList();
                if (statement.GetValue("limit", 0).ToInt32() == 1 && matches.Count > 1)
                {
                    matches.RemoveRange(1, matches.Count - 1);
                }

                foreach (var document in matches)
                {
                    collection!.Remove(document["_id"]);
                    context.View.Log("d", collection, CompactDocument.IdOf(document["_id"]), null);
                    n++;
                }
            }
        }

        return WriteReply(n, []);
    }

    public static CommandError DuplicateKey(CollectionState collection, BsonValue id) =>
        new(ErrorCode.DuplicateKey, $"E11000 duplicate key error collection: {collection.Namespace} index: _id_ dup key: {{ _id: {id} }}");

    private static BsonDocument UpdateDocument(BsonDocument spec)
    {
        var u = spec.GetValue("u", BsonNull.Value);
        return u switch
        {
            BsonDocument doc => doc,
            BsonArray => throw new CommandError(ErrorCode.CommandNotSupported, "pipeline-style updates are not supported by the MongoDB emulator"),
            _ => throw new CommandError(ErrorCode.FailedToParse, "update statement needs a 'u' document"),
        };
    }

    private static BsonArray Statements(CommandContext context, string field) =>
        context.Command.TryGetValue(field, out var value) && value is BsonArray array
            ? array
            : throw new CommandError(ErrorCode.FailedToParse, $"BSON field '{context.Name}.{field}' is missing but a required field");

    private static BsonDocument WriteReply(int n, BsonArray errors) => AddErrors(new BsonDocument("n", n), errors);

    private static BsonDocument AddErrors(BsonDocument reply, BsonArray errors)
    {
        if (errors.Count > 0)
        {
            reply.Add("writeErrors", errors);
        }

        reply.Add("ok", 1.0);
        return reply;
    }
}
