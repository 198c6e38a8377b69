using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// count, and aggregate with the stages counting needs (<c>$match $sort $skip $limit $project $count</c> and a
/// <c>$group</c> on a constant key with <c>$sum</c>), which is what the driver's CountDocuments sends.
/// </summary>
internal static class AggregateCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("count", c => Task.FromResult(Count(c)));
        dispatcher.Add("aggregate", c => Task.FromResult(Aggregate(c)));
    }

    private static BsonDocument Count(CommandContext context)
    {
        var query = context.DocumentOrNull("query");
        var skip = context.IntOrNull("skip") ?? 0;
        var limit = context.IntOrNull("limit") ?? 0;
        lock (context.State.Sync)
        {
            var n = Source(context).Count(d => FilterMatcher.Matches(d, query));
            n = Math.Max(0, n - skip);
            if (limit != 0)
            {
                n = Math.Min(n, Math.Abs(limit));
            }

            return new BsonDocument { { "n", n }, { "ok", 1.0 } };
        }
    }

    private static BsonDocument Aggregate(CommandContext context)
    {
        if (context.Command.GetElement(0).Value is not BsonString)
        {
            throw new CommandError(ErrorCode.CommandNotSupported, "the emulator supports collection aggregates only");
        }

        var pipeline = context.Command.GetValue("pipeline", new BsonArray()).AsBsonArray;
        var cursor = context.DocumentOrNull("cursor");
        var batchSize = cursor is not null && cursor.TryGetValue("batchSize", out var size) ? size.ToInt32() : (int?)null;
        lock (context.State.Sync)
        {
            var results = Source(context);
            foreach (var stage in pipeline.Select(s => s.AsBsonDocument.GetElement(0)))
            {
                results = Apply(results, stage);
            }

            return CursorReplies.First($"{context.Database}.{context.Collection}", results.ToList(), batchSize, context.State);
        }
    }

    private static IEnumerable<BsonDocument> Source(CommandContext context) =>
        context.Database == "local" && context.Collection == "oplog.rs"
            ? context.State.Oplog.All.TakeWhile(e => e.Position <= context.State.NewestPositionOn(context.Member)).Select(e => e.Decode())
            : context.View.Find(context.Database, context.Collection)?.Documents
                ?? (ViewCatalog.Find(context.View.Storage, context.Database, context.Collection) is null
                    ? []
                    : throw ViewCatalog.NotACollection(context.Database, context.Collection, ": the emulator does not evaluate views"));

    /// <summary>One stage over documents already read: also how a sharded cluster's router merges what its shards return.</summary>
    internal static IEnumerable<BsonDocument> Apply(IEnumerable<BsonDocument> input, BsonElement stage) => stage.Name switch
    {
        "$match" => input.Where(d => FilterMatcher.Matches(d, stage.Value.AsBsonDocument)),
        "$sort" => Sorting.Apply(input, stage.Value.AsBsonDocument),
        "$skip" => input.Skip(stage.Value.ToInt32()),
        "$limit" => input.Take(stage.Value.ToInt32()),
        "$project" => input.Select(d => Projection.Apply(d, stage.Value.AsBsonDocument)),
        "$count" => [new BsonDocument(stage.Value.AsString, input.Count())],
        "$group" => Group(input, stage.Value.AsBsonDocument),
        _ => throw new CommandError(ErrorCode.CommandNotSupported, $"aggregation stage {stage.Name} is not supported by the MongoDB emulator"),
    };

    private static IEnumerable<BsonDocument> Group(IEnumerable<BsonDocument> input, BsonDocument spec)
    {
        var key = spec.GetValue("_id", BsonNull.Value);
        if (key is BsonString s && s.Value.StartsWith('$'))
        {
            throw new CommandError(ErrorCode.CommandNotSupported, "$group by a field is not supported by the MongoDB emulator");
        }

        var documents = input.ToList();
        if (documents.Count == 0)
        {
            return [];
        }

        var result = new BsonDocument("_id", key);
        foreach (var accumulator in spec.Where(e => e.Name != "_id"))
        {
            var sum = accumulator.Value.AsBsonDocument.GetValue("$sum", BsonNull.Value);
            if (!sum.IsNumeric)
            {
                throw new CommandError(ErrorCode.CommandNotSupported, "only {$sum: <number>} accumulators are supported by the MongoDB emulator");
            }

            result.Add(accumulator.Name, sum.ToInt32() * documents.Count);
        }

        return [result];
    }
}
