using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// createIndexes, listIndexes, dropIndexes. Index specs are kept as metadata only (no unique enforcement beyond
/// <c>_id</c>). Logging follows MongoDB 4.4+: on an empty collection one <c>createIndexes</c> entry per index,
/// otherwise a two-phase build logged as <c>startIndexBuild</c> then <c>commitIndexBuild</c>.
/// </summary>
internal static class IndexCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("createIndexes", c => Task.FromResult(CreateIndexes(c)));
        dispatcher.Add("listIndexes", c => Task.FromResult(ListIndexes(c)));
        dispatcher.Add("dropIndexes", c => Task.FromResult(DropIndexes(c)));
    }

    private static BsonDocument CreateIndexes(CommandContext context)
    {
        if (context.View.Transaction is not null)
        {
            throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, "createIndexes in a transaction is not supported by the emulator");
        }

        if (!context.Command.TryGetValue("indexes", out var value) || value is not BsonArray specs || specs.Count == 0)
        {
            throw new CommandError(ErrorCode.BadValue, "Must specify at least one index");
        }

        lock (context.State.Sync)
        {
            var collection = context.View.FindOrCreate(context.Database, context.Collection, out var created);
            var before = collection.Indexes.Count;
            var added = new List<BsonDocument>();
            foreach (var spec in specs.Select(s => Normalise(s.AsBsonDocument)))
            {
                var existing = collection.Indexes.FirstOrDefault(i => i["name"] == spec["name"]);
                if (existing is not null)
                {
                    if (!BsonIdentity.BinaryEquals(existing["key"], spec["key"]))
                    {
                        throw new CommandError(ErrorCode.IndexOptionsConflict, $"An existing index has the same name as the requested index: {spec["name"]}");
                    }

                    continue;
                }

                added.Add(spec);
            }

            Log(context.State, collection, added);
            collection.Indexes.AddRange(added);
            var reply = new BsonDocument
            {
                { "numIndexesBefore", before },
                { "numIndexesAfter", collection.Indexes.Count },
                { "createdCollectionAutomatically", created },
            };
            if (added.Count == 0)
            {
                reply.Add("note", "all indexes already exist");
            }

            reply.Add("ok", 1.0);
            return reply;
        }
    }

    private static void Log(ReplicaSetState state, CollectionState collection, List<BsonDocument> added)
    {
        if (added.Count == 0)
        {
            return;
        }

        var ns = $"{collection.Database}.$cmd";
        if (collection.Count == 0)
        {
            foreach (var spec in added)
            {
                var o = new BsonDocument("createIndexes", collection.Name);
                o.AddRange(spec);
                state.Append("c", ns, collection.Uuid, o, null);
            }

            return;
        }

        var build = new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard);
        foreach (var command in new[] { "startIndexBuild", "commitIndexBuild" })
        {
            var o = new BsonDocument { { command, collection.Name }, { "indexBuildUUID", build }, { "indexes", new BsonArray(added.Select(a => a.DeepClone())) } };
            state.Append("c", ns, collection.Uuid, o, null);
        }
    }

    /// <summary>Specs are stored as MongoDB lists them: <c>{v:2, key, name, ...options}</c>.</summary>
    private static BsonDocument Normalise(BsonDocument spec)
    {
        if (!spec.TryGetValue("key", out var key) || key is not BsonDocument || key.AsBsonDocument.ElementCount == 0)
        {
            throw new CommandError(ErrorCode.BadValue, "index spec must have a non-empty key document");
        }

        if (!spec.TryGetValue("name", out var name) || !name.IsString)
        {
            throw new CommandError(ErrorCode.BadValue, "index spec must have a name");
        }

        var result = new BsonDocument { { "v", 2 }, { "key", key }, { "name", name } };
        foreach (var element in spec)
        {
            if (element.Name is not ("v" or "key" or "name" or "ns"))
            {
                result.Add(element);
            }
        }

        return result;
    }

    private static BsonDocument ListIndexes(CommandContext context)
    {
        lock (context.State.Sync)
        {
            var cursor = context.DocumentOrNull("cursor");
            var batchSize = cursor is not null && cursor.TryGetValue("batchSize", out var size) ? size.ToInt32() : (int?)null;
            if (context.View.Find(context.Database, context.Collection) is null && TimeSeriesCatalog.Find(context.View.Storage, context.Database, context.Collection) is not null)
            {
                // A time-series collection lists its buckets' secondary indexes in its own terms; the emulator makes
                // none (MongoDB 5.0-6.2 make none either; 6.3+ add one on meta and time when there is a metaField).
                return CursorReplies.First($"{context.Database}.{context.Collection}", [], batchSize, context.State);
            }

            var collection = context.View.Find(context.Database, context.Collection)
                ?? throw new CommandError(ErrorCode.NamespaceNotFound, $"ns does not exist: {context.Database}.{context.Collection}");
            return CursorReplies.First(collection.Namespace, collection.Indexes.Select(BsonIdentity.Copy), batchSize, context.State);
        }
    }

    private static BsonDocument DropIndexes(CommandContext context)
    {
        lock (context.State.Sync)
        {
            var collection = context.State.Storage.Find(context.Database, context.Collection)
                ?? throw new CommandError(ErrorCode.NamespaceNotFound, $"ns not found {context.Database}.{context.Collection}");
            var before = collection.Indexes.Count;
            var target = context.Command.GetValue("index", BsonNull.Value);
            var doomed = collection.Indexes
                .Where(i => i["name"] != "_id_" && (target == "*" || i["name"] == target || (target is BsonDocument key && BsonIdentity.BinaryEquals(i["key"], key))))
                .ToList();
            if (doomed.Count == 0 && target != "*")
            {
                throw new CommandError((ErrorCode)27, $"index not found with name [{target}]");
            }

            foreach (var index in doomed)
            {
                collection.Indexes.Remove(index);
                context.State.Append("c", $"{collection.Database}.$cmd", collection.Uuid, new BsonDocument { { "dropIndexes", collection.Name }, { "index", index["name"] } }, index);
            }

            return new BsonDocument { { "nIndexesWas", before }, { "ok", 1.0 } };
        }
    }
}
