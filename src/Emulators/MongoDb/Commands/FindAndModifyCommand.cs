using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>findAndModify: one update, upsert or delete returning the pre- or post-image. Logged like update/delete.</summary>
internal static class FindAndModifyCommand
{
    public static BsonDocument Run(CommandContext context)
    {
        var query = context.DocumentOrNull("query") ?? [];
        var sort = context.DocumentOrNull("sort");
        lock (context.State.Sync)
        {
            if (context.Flag("remove"))
            {
                var collection = context.View.Find(context.Database, context.Collection);
                var victim = Sorting.Apply(ReplicaSetState.Scan(collection, query), sort).FirstOrDefault();
                if (victim is not null)
                {
                    collection!.Remove(victim["_id"]);
                    context.View.Log("d", collection, CompactDocument.IdOf(victim["_id"]), null);
                }

                return Reply(new BsonDocument("n", victim is null ? 0 : 1), victim);
            }

            var update = context.DocumentOrNull("update")
                ?? throw new CommandError(ErrorCode.FailedToParse, "Either an update or remove=true must be specified");
            var result = WriteCommands.UpdateOne(context, query, update, context.Flag("upsert"), multi: false, sort);
            var lastError = new BsonDocument { { "n", result.UpsertedId is null ? result.Matched : 1 }, { "updatedExisting", result.Matched > 0 } };
            if (result.UpsertedId is not null)
            {
                lastError.Add("upserted", result.UpsertedId);
            }

            return Reply(lastError, context.Flag("new") ? result.Post : result.Pre);
        }
    }

    private static BsonDocument Reply(BsonDocument lastError, BsonDocument? value) => new()
    {
        { "lastErrorObject", lastError },
        { "value", (BsonValue?)value ?? BsonNull.Value },
        { "ok", 1.0 },
    };
}
