using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// Views as MongoDB keeps them: one document per view in the database's <c>system.views</c> collection
/// (<c>{_id: "db.view", viewOn, pipeline[, collation]}</c>), created with the first view and kept after the last
/// is dropped. So a view's creation is logged as a <c>create</c> of <c>system.views</c> (the first time) and an
/// <c>i</c> on <c>db.system.views</c>, its drop as a <c>d</c>, and applyOps on <c>system.views</c> makes and
/// removes views, as on a secondary. The emulator stores views and lists them; it never evaluates a pipeline. A
/// time-series collection (a view over <c>system.buckets.*</c>, see <see cref="TimeSeriesCatalog"/>) is listed as
/// MongoDB does, with type <c>timeseries</c>.
/// </summary>
internal static class ViewCatalog
{
    public const string Collection = "system.views";

    private const string BucketsPrefix = "system.buckets.";

    /// <summary>The view's definition, or null when <paramref name="name"/> is not a view. Caller holds the lock.</summary>
    public static BsonDocument? Find(StorageEngine storage, string database, string name) =>
        storage.Find(database, Collection)?.Documents.FirstOrDefault(d => d["_id"] == $"{database}.{name}");

    /// <summary>listCollections entries for the database's views. Caller holds the lock.</summary>
    public static IEnumerable<BsonDocument> Entries(StorageEngine storage, string database)
    {
        var prefix = database + ".";
        foreach (var view in storage.Find(database, Collection)?.Documents ?? [])
        {
            if (view["_id"] is not BsonString { Value: var id } || !id.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (view.GetValue("viewOn", "").AsString is var on && on.StartsWith(BucketsPrefix, StringComparison.Ordinal))
            {
                // MongoDB 5.0-7.0 keep a time-series collection as a view over its buckets, listed as the collection.
                var buckets = storage.Find(database, on);
                yield return new BsonDocument
                {
                    { "name", id[prefix.Length..] },
                    { "type", "timeseries" },
                    { "options", TimeSeriesCatalog.ListedOptions(buckets) },
                    { "info", new BsonDocument("readOnly", false) },
                };
                continue;
            }

            var options = new BsonDocument { { "viewOn", view.GetValue("viewOn", "") }, { "pipeline", view.GetValue("pipeline", new BsonArray()) } };
            if (view.TryGetValue("collation", out var collation)) options.Add("collation", collation);
            yield return new BsonDocument
            {
                { "name", id[prefix.Length..] },
                { "type", "view" },
                { "options", options },
                { "info", new BsonDocument("readOnly", true) },
            };
        }
    }

    /// <summary><c>create</c> with <c>viewOn</c>. Caller holds the lock and has checked that the name is free.</summary>
    public static void Create(CommandContext context, string name, BsonDocument options)
    {
        if (options["viewOn"] is not BsonString viewOn)
        {
            throw new CommandError(ErrorCode.TypeMismatch, "'viewOn' must be a string");
        }

        var pipeline = options.GetValue("pipeline", new BsonArray());
        if (!pipeline.IsBsonArray)
        {
            throw new CommandError(ErrorCode.TypeMismatch, "'pipeline' must be an array");
        }

        if (options.Names.FirstOrDefault(n => n is not ("viewOn" or "pipeline" or "collation")) is { } other)
        {
            throw new CommandError(ErrorCode.InvalidOptions, $"option '{other}' is not supported for a view");
        }

        var database = context.Database;
        var views = context.State.Storage.Find(database, Collection) ?? context.State.CreateCollection(database, Collection, new BsonDocument());
        var definition = new BsonDocument { { "_id", $"{database}.{name}" }, { "viewOn", viewOn }, { "pipeline", pipeline } };
        if (options.TryGetValue("collation", out var collation)) definition.Add("collation", collation);
        views.TryInsert(definition);
        context.State.Append("i", views.Namespace, views.Uuid, definition, new BsonDocument("_id", definition["_id"]), null);
    }

    /// <summary>Drops the view if <paramref name="name"/> is one (a <c>d</c> on <c>system.views</c>). Caller holds the lock.</summary>
    public static bool Drop(CommandContext context, string name)
    {
        var views = context.State.Storage.Find(context.Database, Collection);
        var id = new BsonString($"{context.Database}.{name}");
        if (views is null || !views.Remove(id)) return false;
        context.State.Append("d", views.Namespace, views.Uuid, new BsonDocument("_id", id), null, null);
        return true;
    }

    /// <summary>MongoDB's answer to a write or a read the emulator cannot serve on a view.</summary>
    public static CommandError NotACollection(string database, string name, string what) =>
        new(ErrorCode.CommandNotSupportedOnView, $"Namespace {database}.{name} is a view, not a collection{what}");
}
