using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>listDatabases, listCollections, create, drop, dropDatabase (views: <see cref="ViewCatalog"/>).</summary>
internal static class CatalogCommands
{
    /// <summary>The oplog's UUID is fixed for the emulator's lifetime, like a real node's.</summary>
    private static readonly Guid OplogUuid = Guid.NewGuid();

    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("listDatabases", c => Task.FromResult(ListDatabases(c)));
        dispatcher.Add("listCollections", c => Task.FromResult(ListCollections(c)));
        dispatcher.Add("create", c => Task.FromResult(Create(c)));
        dispatcher.Add("drop", c => Task.FromResult(Drop(c)));
        dispatcher.Add("dropDatabase", c => Task.FromResult(DropDatabase(c)));
    }

    private static BsonDocument ListDatabases(CommandContext context)
    {
        var state = context.State;
        var filter = context.DocumentOrNull("filter");
        var databases = new BsonArray();
        long total = 0;
        lock (state.Sync)
        {
            var storage = context.View.Storage;
            var names = storage.DatabaseNames.Append("local").Distinct().Order(StringComparer.Ordinal);
            foreach (var name in names)
            {
                var size = name == "local"
                    ? state.Oplog.SizeBytes
                    : storage.Collections(name).Sum(c => c.DataSize);
                total += size;
                var entry = new BsonDocument { { "name", name }, { "sizeOnDisk", size }, { "empty", size == 0 } };
                if (FilterMatcher.Matches(entry, filter))
                {
                    databases.Add(context.Flag("nameOnly") ? new BsonDocument("name", name) : entry);
                }
            }
        }

        return new BsonDocument { { "databases", databases }, { "totalSize", total }, { "totalSizeMb", total / (1024 * 1024) }, { "ok", 1.0 } };
    }

    private static BsonDocument ListCollections(CommandContext context)
    {
        var state = context.State;
        var filter = context.DocumentOrNull("filter");
        var nameOnly = context.Flag("nameOnly");
        var cursor = context.DocumentOrNull("cursor");
        var batchSize = cursor is not null && cursor.TryGetValue("batchSize", out var size) ? size.ToInt32() : (int?)null;
        var entries = new List<BsonDocument>();
        lock (state.Sync)
        {
            var storage = context.View.Storage;
            var all = storage.Collections(context.Database).Select(c => c.ListCollectionsEntry()).Concat(ViewCatalog.Entries(storage, context.Database)).ToList();
            if (context.Database == "local")
            {
                all.Add(OplogEntry(state));
            }

            foreach (var entry in all.OrderBy(e => e["name"].AsString, StringComparer.Ordinal))
            {
                if (FilterMatcher.Matches(entry, filter))
                {
                    entries.Add(nameOnly ? new BsonDocument { { "name", entry["name"] }, { "type", entry["type"] } } : entry);
                }
            }

            return CursorReplies.First($"{context.Database}.$cmd.listCollections", entries, batchSize, state);
        }
    }

    private static BsonDocument OplogEntry(ReplicaSetState state) => new()
    {
        { "name", "oplog.rs" },
        { "type", "collection" },
        { "options", new BsonDocument { { "capped", true }, { "size", state.Oplog.MaxBytes } } },
        { "info", new BsonDocument { { "readOnly", false }, { "uuid", new BsonBinaryData(OplogUuid, GuidRepresentation.Standard) } } },
    };

    private static BsonDocument Create(CommandContext context)
    {
        var name = context.Collection;
        Names.CheckCollection(context.Database, name);
        var options = GenericFields.Options(context.Command);
        lock (context.State.Sync)
        {
            if (context.View.Find(context.Database, name) is not null || ViewCatalog.Find(context.State.Storage, context.Database, name) is not null)
            {
                throw new CommandError(ErrorCode.NamespaceExists, $"Collection {context.Database}.{name} already exists.");
            }

            if (options.Contains("viewOn"))
            {
                ViewCatalog.Create(context, name, options);
            }
            else if (options.Contains("timeseries"))
            {
                TimeSeriesCatalog.Create(context, name, options);
            }
            else
            {
                context.State.CreateCollection(context.Database, name, options);
            }
        }

        return HandshakeCommands.Ok();
    }

    private static BsonDocument Drop(CommandContext context)
    {
        var name = context.Collection;
        lock (context.State.Sync)
        {
            var collection = context.State.Storage.Find(context.Database, name);
            if (collection is null)
            {
                // A view is dropped from system.views (a time-series one with its buckets); MongoDB 7.0 answers ok
                // for a collection that does not exist.
                if (!TimeSeriesCatalog.Drop(context, name))
                {
                    ViewCatalog.Drop(context, name);
                }

                return HandshakeCommands.Ok();
            }

            var indexes = collection.Indexes.Count;
            context.State.DropCollection(collection);
            return new BsonDocument { { "nIndexesWas", indexes }, { "ns", collection.Namespace }, { "ok", 1.0 } };
        }
    }

    private static BsonDocument DropDatabase(CommandContext context)
    {
        if (context.Database is "local" or "admin" or "config")
        {
            throw new CommandError(ErrorCode.IllegalOperation, $"Cannot drop '{context.Database}' database in the emulator");
        }

        lock (context.State.Sync)
        {
            return context.State.DropDatabase(context.Database)
                ? new BsonDocument { { "dropped", context.Database }, { "ok", 1.0 } }
                : HandshakeCommands.Ok();
        }
    }
}
