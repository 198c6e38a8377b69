using Archiver.Emulators.MongoDb.Oplog;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// applyOps in MongoDB 7.0's non-atomic ApplyOps mode: operations run one by one, each logged as its own entry;
/// the first failure stops the batch and the reply says how many were applied. Refuses what apply_ops.cpp and
/// oplog.cpp refuse: <c>prepare</c> (BadValue), <c>partialTxn</c> (31056), <c>count</c> (31240), index builds
/// (CommandNotSupported), <c>commitTransaction</c> (50987), <c>abortTransaction</c> (50972), and a
/// <c>dropDatabase</c> that is not alone.
/// </summary>
internal static class ApplyOpsCommand
{
    private const int MaxNesting = 10;

    public static void Register(CommandDispatcher dispatcher) => dispatcher.Add("applyOps", c => Task.FromResult(Run(c)));

    private static BsonDocument Run(CommandContext context)
    {
        if (context.View.Transaction is not null)
        {
            throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, "applyOps is not allowed in a transaction");
        }

        var alwaysUpsert = !context.Command.TryGetValue("alwaysUpsert", out var upsert) || upsert.ToBoolean();
        lock (context.State.Sync)
        {
            var applier = new OplogApplier(context.State, log: true);
            var results = new BsonArray();
            try
            {
                Apply(context.State, applier, context.Command, alwaysUpsert, depth: 0, results);
            }
            catch (CommandError error) when (results.Count > 0)
            {
                var reply = error.ToReply();
                reply.InsertAt(0, new BsonElement("applied", results.Count));
                reply.InsertAt(1, new BsonElement("results", results));
                return reply;
            }

            return new BsonDocument { { "applied", results.Count }, { "results", results }, { "ok", 1.0 } };
        }
    }

    private static void Apply(ReplicaSetState state, OplogApplier applier, BsonDocument command, bool alwaysUpsert, int depth, BsonArray results)
    {
        CheckCommand(command, depth);
        var ops = command["applyOps"].AsBsonArray;
        foreach (var value in ops)
        {
            var op = value as BsonDocument ?? throw new CommandError(ErrorCode.FailedToParse, "applyOps entries must be objects");
            var kind = op.GetValue("op", BsonNull.Value);
            if (!kind.IsString || kind.AsString.Length == 0)
            {
                throw new CommandError(ErrorCode.FailedToParse, "op has to be a non-empty string");
            }

            if (op.Contains("h"))
            {
                // MongoDB 7.1+ parses ops strictly and rejects the pre-4.2 hash field; replay must strip it.
                throw new CommandError(ErrorCode.IdlUnknownField, "BSON field 'OplogEntryBase.h' is an unknown field.");
            }

            var ns = op.GetValue("ns", BsonNull.Value);
            if (kind.AsString != "n" && (!ns.IsString || ns.AsString.Length == 0))
            {
                throw new CommandError(ErrorCode.InvalidNamespace, "'ns' must be a non-empty string");
            }

            switch (kind.AsString)
            {
                case "n":
                    break;
                case "c":
                    var inner = op.GetValue("o", BsonNull.Value) as BsonDocument ?? throw new CommandError(ErrorCode.FailedToParse, "command op needs 'o'");
                    if (inner.ElementCount > 0 && inner.GetElement(0).Name == "dropDatabase" && (ops.Count > 1 || depth > 0))
                    {
                        throw new CommandError(ErrorCode.DropDatabaseNotAlone, "dropDatabase in applyOps must be the only operation and not nested");
                    }

                    if (inner.Contains("applyOps"))
                    {
                        Apply(state, applier, inner, alwaysUpsert, depth + 1, results);
                        continue;
                    }

                    ApplyOpsCommandOps.Run(state, applier, op, inner);
                    break;
                default:
                    applier.ApplyCrud(op, alwaysUpsert);
                    break;
            }

            results.Add(true);
        }
    }

    private static void CheckCommand(BsonDocument command, int depth)
    {
        if (depth > MaxNesting)
        {
            throw new CommandError(ErrorCode.FailedToParse, "Too many nested applyOps");
        }

        if (command.TryGetValue("prepare", out var prepare) && prepare.ToBoolean())
        {
            throw new CommandError(ErrorCode.BadValue, "applyOps with prepare is only used internally by secondaries");
        }

        if (command.TryGetValue("partialTxn", out var partial) && partial.ToBoolean())
        {
            throw new CommandError(ErrorCode.ApplyOpsPartialTxn, "applyOps with partialTxn is only used internally by secondaries");
        }

        if (command.Contains("count"))
        {
            throw new CommandError(ErrorCode.ApplyOpsCount, "applyOps with count field is only used internally by secondaries");
        }

        if (!command.TryGetValue("applyOps", out var ops) || ops is not BsonArray)
        {
            throw new CommandError(ErrorCode.FailedToParse, "applyOps must be an array");
        }
    }
}
