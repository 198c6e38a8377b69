using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// find, count, distinct and aggregate through the router: the matching documents each shard owns are gathered (only
/// from the owner when the filter names the whole shard key), then sorted, skipped, limited and projected, or run
/// through the rest of the pipeline, on the router, as mongos merges. Orphans a migration left are never returned.
/// </summary>
internal sealed partial class Router
{
    private void RegisterReads()
    {
        Add("find", FindAsync);
        Add("count", CountAsync);
        Add("distinct", DistinctAsync);
        Add("aggregate", AggregateAsync);
    }

    private async Task<BsonDocument> FindAsync(RouterContext context)
    {
        var ns = $"{context.Database}.{context.Collection}";
        var documents = await GatherAsync(context, context.DocumentOrNull("filter")).ConfigureAwait(false);
        var skip = context.IntOrNull("skip") ?? 0;
        var limit = context.IntOrNull("limit") ?? 0;
        var results = Sorting.Apply(documents, context.DocumentOrNull("sort")).Skip(skip);
        if (limit != 0)
        {
            results = results.Take(Math.Abs(limit));
        }

        var projection = context.DocumentOrNull("projection");
        return CursorReply(ns, results.Select(d => Projection.Apply(d, projection)).ToList(), context.IntOrNull("batchSize"), context.Flag("singleBatch") || limit < 0);
    }

    private async Task<BsonDocument> CountAsync(RouterContext context)
    {
        var n = (await GatherAsync(context, context.DocumentOrNull("query")).ConfigureAwait(false)).Count;
        n = Math.Max(0, n - (context.IntOrNull("skip") ?? 0));
        if (context.IntOrNull("limit") is { } limit and not 0)
        {
            n = Math.Min(n, Math.Abs(limit));
        }

        return new BsonDocument { { "n", n }, { "ok", 1.0 } };
    }

    private async Task<BsonDocument> DistinctAsync(RouterContext context)
    {
        var key = context.Command.GetValue("key", null) as BsonString ?? throw new CommandError(ErrorCode.IdlMissingField, "BSON field 'distinct.key' is missing but a required field");
        var values = new List<BsonValue>();
        foreach (var document in await GatherAsync(context, context.DocumentOrNull("query")).ConfigureAwait(false))
        {
            foreach (var value in DocumentPath.Values(document, key.Value).SelectMany(v => v is BsonArray array ? array : [v]))
            {
                if (!values.Any(v => v.Equals(value)))
                {
                    values.Add(value);
                }
            }
        }

        return new BsonDocument { { "values", new BsonArray(values) }, { "ok", 1.0 } };
    }

    private async Task<BsonDocument> AggregateAsync(RouterContext context)
    {
        if (context.Command[0] is not BsonString)
        {
            throw new CommandError(ErrorCode.CommandNotSupported, "the emulator's mongos supports collection aggregates only");
        }

        var stages = context.Command.GetValue("pipeline", new BsonArray()).AsBsonArray.Select(s => s.AsBsonDocument.GetElement(0)).ToList();
        // A leading $match is the filter each shard applies; the rest runs on the router over what they return.
        BsonDocument? filter = null;
        if (stages.Count > 0 && stages[0].Name == "$match")
        {
            filter = stages[0].Value.AsBsonDocument;
            stages.RemoveAt(0);
        }

        IEnumerable<BsonDocument> results = await GatherAsync(context, filter).ConfigureAwait(false);
        foreach (var stage in stages)
        {
            results = AggregateCommands.Apply(results, stage);
        }

        var cursor = context.DocumentOrNull("cursor");
        var batchSize = cursor is not null && cursor.TryGetValue("batchSize", out var size) ? size.ToInt32() : (int?)null;
        return CursorReply($"{context.Database}.{context.Collection}", results.ToList(), batchSize);
    }

    /// <summary>The documents matching <paramref name="filter"/>, each from the shard that owns it.</summary>
    private async Task<List<BsonDocument>> GatherAsync(RouterContext context, BsonDocument? filter)
    {
        if (OnConfigServer(context.Database))
        {
            var command = new BsonDocument { { "find", context.Collection }, { "batchSize", int.MaxValue } };
            if (filter is not null)
            {
                command.Add("filter", filter);
            }

            var reply = await _cluster.Config.RunAsync(context.Database, command, context.Cancellation).ConfigureAwait(false);
            ShardedCluster.Check(reply, "config server");
            return reply["cursor"]["firstBatch"].AsBsonArray.Select(d => d.AsBsonDocument).ToList();
        }

        var table = _cluster.Routing();
        var info = table.Sharded(context.Database, context.Collection);
        if (info is null)
        {
            if (!table.Primaries.TryGetValue(context.Database, out var primary))
            {
                return [];
            }

            var command = new BsonDocument { { "find", context.Collection }, { "batchSize", int.MaxValue } };
            if (filter is not null)
            {
                command.Add("filter", filter);
            }

            return await DrainAsync(context, primary, context.Database, command).ConfigureAwait(false);
        }

        var shards = info.Key.KeyOfQuery(filter) is { } key ? [info.Owner(key).Shard] : _cluster.ShardNames;
        var documents = new List<BsonDocument>();
        foreach (var shard in shards)
        {
            documents.AddRange(await OwnedAsync(context, info, shard, filter).ConfigureAwait(false));
        }

        return documents;
    }
}
