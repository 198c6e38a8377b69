using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// find on <c>local.oplog.rs</c>. The scan starts at the <c>ts</c> lower bound of the filter; a bound that has
/// rolled off silently starts at the oldest entry, as in MongoDB (OplogQueryMinTsMissing is only raised for
/// change streams). Tailable cursors stay open at the end and are served by <see cref="OplogTailCursor"/>.
/// </summary>
internal static class OplogFind
{
    public static BsonDocument Run(CommandContext context)
    {
        var filter = context.DocumentOrNull("filter");
        var sort = context.DocumentOrNull("sort");
        var batchSize = context.IntOrNull("batchSize");
        var limit = context.IntOrNull("limit") ?? 0;
        var skip = context.IntOrNull("skip") ?? 0;
        var projection = context.DocumentOrNull("projection");
        var state = context.State;
        lock (state.Sync)
        {
            var start = LowerBound(filter);
            // A member holds the entries it has applied: a locked one's oplog ends where it stopped.
            var newest = state.NewestPositionOn(context.Member);
            if (context.Flag("tailable"))
            {
                var oldest = state.Oplog.Oldest?.Position ?? 0;
                var from = Math.Max(start, oldest);
                var cursor = new OplogTailCursor(filter, projection, context.Flag("awaitData"), from == 0 ? 0 : from - 1, context.Member);
                var batch = cursor.Scan(state, batchSize ?? 101);
                var id = state.Cursors.Register(cursor);
                return CursorReplies.Reply("local.oplog.rs", id, batch, "firstBatch");
            }

            var entries = state.Oplog.From(start).TakeWhile(e => e.Position <= newest);
            if (sort is null || sort.ElementCount == 0 || sort.All(k => k.Name == "$natural"))
            {
                // The oplog's own order ($natural, as Sorting.Apply orders it), taken on the entries before they are decoded: each
                // read decodes its entry (OplogEntry), and the newest-first query with a limit of one that archivers and
                // majority checks ask would otherwise decode the whole oplog under the lock.
                if (sort is not null && sort.TryGetValue("$natural", out var direction) && direction.ToInt32() < 0)
                {
                    entries = entries.Reverse();
                }

                sort = null;
            }

            IEnumerable<BsonDocument> results = entries.Select(e => e.Decode()).Where(d => FilterMatcher.Matches(d, filter));
            results = Sorting.Apply(results, sort).Skip(skip).Select(d => Projection.Apply(d, projection));
            if (limit != 0)
            {
                results = results.Take(Math.Abs(limit));
            }

            return CursorReplies.First("local.oplog.rs", results.ToList(), batchSize, state, context.Flag("singleBatch") || limit < 0);
        }
    }

    /// <summary>The smallest ts position the filter admits, from <c>ts</c> equality, <c>$gte</c> or <c>$gt</c>.</summary>
    private static long LowerBound(BsonDocument? filter)
    {
        if (filter is null || !filter.TryGetValue("ts", out var condition))
        {
            return 0;
        }

        if (condition is BsonTimestamp exact)
        {
            return exact.Value;
        }

        if (condition is not BsonDocument ops)
        {
            return 0;
        }

        long bound = 0;
        if (ops.TryGetValue("$gte", out var gte) && gte is BsonTimestamp a)
        {
            bound = Math.Max(bound, a.Value);
        }

        if (ops.TryGetValue("$gt", out var gt) && gt is BsonTimestamp b)
        {
            bound = Math.Max(bound, b.Value + 1);
        }

        if (ops.TryGetValue("$eq", out var eq) && eq is BsonTimestamp c)
        {
            bound = Math.Max(bound, c.Value);
        }

        return bound;
    }
}
