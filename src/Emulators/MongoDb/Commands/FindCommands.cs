using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// find, getMore, killCursors. A find on a collection reads a snapshot of the matching documents in <c>_id</c>
/// order (or the requested sort); a find on <c>local.oplog.rs</c> scans from the <c>ts</c> lower bound of its
/// filter and, when tailable, stays open at the end of the oplog.
/// </summary>
internal static class FindCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("find", c => Task.FromResult(Find(c)));
        dispatcher.Add("getMore", GetMoreAsync);
        dispatcher.Add("killCursors", c => Task.FromResult(KillCursors(c)));
    }

    private static BsonDocument Find(CommandContext context)
    {
        if (context.Database == "local" && context.Collection == "oplog.rs")
        {
            return OplogFind.Run(context);
        }

        var filter = context.DocumentOrNull("filter");
        var projection = context.DocumentOrNull("projection");
        var skip = context.IntOrNull("skip") ?? 0;
        var limit = context.IntOrNull("limit") ?? 0;
        var singleBatch = context.Flag("singleBatch") || limit < 0;
        lock (context.State.Sync)
        {
            var collection = context.View.Find(context.Database, context.Collection);
            var timeSeries = collection is null ? TimeSeriesCatalog.Find(context.View.Storage, context.Database, context.Collection) : null;
            if (collection is null && timeSeries is null && ViewCatalog.Find(context.View.Storage, context.Database, context.Collection) is not null)
            {
                throw ViewCatalog.NotACollection(context.Database, context.Collection, ": the emulator does not evaluate views");
            }

            // A time-series collection is read as its buckets unpacked into measurements; other views are refused above.
            var matched = timeSeries is null
                ? ReplicaSetState.Scan(collection, filter)
                : TimeSeriesBuckets.Unpack(timeSeries).Where(d => FilterMatcher.Matches(d, filter));
            var results = Sorting.Apply(matched, context.DocumentOrNull("sort")).Skip(skip);
            if (limit != 0)
            {
                results = results.Take(Math.Abs(limit));
            }

            var batchSize = context.IntOrNull("batchSize");
            var documents = results.Select(d => Projection.Apply(d, projection)).ToList();
            return CursorReplies.First($"{context.Database}.{context.Collection}", documents, batchSize, context.State, singleBatch);
        }
    }

    private static async Task<BsonDocument> GetMoreAsync(CommandContext context)
    {
        var id = context.Command.GetElement(0).Value.ToInt64();
        var cursor = context.State.Cursors.Find(id)
            ?? throw new CommandError(ErrorCode.CursorNotFound, $"cursor id {id} not found");
        var batchSize = context.IntOrNull("batchSize");
        var maxTime = context.IntOrNull("maxTimeMS") is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        List<BsonDocument> batch;
        bool exhausted;
        try
        {
            (batch, exhausted) = await cursor.NextBatchAsync(context.State, batchSize, maxTime, context.Cancellation).ConfigureAwait(false);
        }
        catch (CommandError)
        {
            context.State.Cursors.Remove(id);
            throw;
        }

        if (exhausted)
        {
            context.State.Cursors.Remove(id);
        }

        return CursorReplies.Reply(cursor.Namespace, exhausted ? 0 : id, batch, "nextBatch");
    }

    private static BsonDocument KillCursors(CommandContext context)
    {
        var killed = new BsonArray();
        var notFound = new BsonArray();
        foreach (var id in context.Command.GetValue("cursors", new BsonArray()).AsBsonArray)
        {
            (context.State.Cursors.Remove(id.ToInt64()) ? killed : notFound).Add(id);
        }

        return new BsonDocument
        {
            { "cursorsKilled", killed },
            { "cursorsNotFound", notFound },
            { "cursorsAlive", new BsonArray() },
            { "cursorsUnknown", new BsonArray() },
            { "ok", 1.0 },
        };
    }
}
