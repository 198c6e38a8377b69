using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Transactions;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// commitTransaction and abortTransaction. A commit applies the transaction's operations to the shared data and
/// logs them as applyOps entries: one entry without <c>partialTxn</c>/<c>count</c> when they fit, otherwise a
/// chain whose non-final entries carry <c>partialTxn:true</c> and whose final entry carries <c>count</c>, each
/// pointing to the previous by <c>prevOpTime</c>. A transaction without writes, or an aborted one, logs nothing.
/// </summary>
internal static class TransactionCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("commitTransaction", c => Task.FromResult(Commit(c)));
        dispatcher.Add("abortTransaction", c => Task.FromResult(Abort(c)));
    }

    private static BsonDocument Commit(CommandContext context)
    {
        var txn = context.View.Transaction
            ?? throw new CommandError(ErrorCode.InvalidOptions, "commitTransaction must be run within a transaction");
        lock (context.State.Sync)
        {
            if (txn.Phase == TransactionPhase.Committed)
            {
                return HandshakeCommands.Ok();
            }

            CheckCreatesStillNew(context.State, txn);
            var applier = new OplogApplier(context.State, log: false);
            foreach (var op in txn.Operations)
            {
                if (op["op"] == "c")
                {
                    CreateCommitted(context.State, op);
                }
                else if (applier.Resolve(op, required: false) is not null)
                {
                    // A collection dropped meanwhile by someone else leaves the write nowhere to go (MongoDB
                    // would have failed the transaction with a write conflict instead).
                    applier.ApplyCrud(op, alwaysUpsert: true);
                }
            }

            LogChain(context.State, txn);
            txn.Phase = TransactionPhase.Committed;
            return HandshakeCommands.Ok();
        }
    }

    /// <summary>Someone else created the same collection meanwhile: MongoDB reports a write conflict.</summary>
    private static void CheckCreatesStillNew(ReplicaSetState state, TransactionState txn)
    {
        foreach (var op in txn.Operations.Where(o => o["op"] == "c"))
        {
            var (database, _) = Names.Split(op["ns"].AsString);
            if (state.Storage.Find(database, op["o"]["create"].AsString) is not null)
            {
                txn.Phase = TransactionPhase.Aborted;
                throw new CommandError(ErrorCode.WriteConflict, "Write conflict during plan execution and yielding is disabled.", "TransientTransactionError");
            }
        }
    }

    /// <summary>Makes a collection created inside the transaction visible, unlogged: the applyOps entry logs it.</summary>
    private static void CreateCommitted(ReplicaSetState state, BsonDocument op)
    {
        var (database, _) = Names.Split(op["ns"].AsString);
        var name = op["o"]["create"].AsString;
        state.Storage.Add(database, name, new BsonDocument(), op["ui"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard));
    }

    private static void LogChain(ReplicaSetState state, TransactionState txn)
    {
        var chunks = Pack(txn.Operations, state.Options.TransactionEntryMaxOperations, state.Options.TransactionEntryMaxBytes);
        for (var i = 0; i < chunks.Count; i++)
        {
            var o = new BsonDocument("applyOps", new BsonArray(chunks[i]));
            if (i < chunks.Count - 1)
            {
                o.Add("partialTxn", true);
            }
            else if (chunks.Count > 1)
            {
                o.Add("count", (long)txn.Operations.Count);
            }

            state.AppendTransactionEntry(txn.Session, o);
        }
    }

    /// <summary>Packs operations into entries by count and size; one oversized operation still gets its own entry.</summary>
    private static List<List<BsonDocument>> Pack(List<BsonDocument> operations, int maxOperations, int maxBytes)
    {
        var chunks = new List<List<BsonDocument>>();
        var current = new List<BsonDocument>();
        var bytes = 0;
        foreach (var op in operations)
        {
            var size = BsonIdentity.SizeOf(op);
            if (current.Count > 0 && (current.Count >= maxOperations || bytes + size > maxBytes))
            {
                chunks.Add(current);
                current = [];
                bytes = 0;
            }

            current.Add(op);
            bytes += size;
        }

        if (current.Count > 0)
        {
            chunks.Add(current);
        }

        return chunks;
    }

    private static BsonDocument Abort(CommandContext context)
    {
        var txn = context.View.Transaction
            ?? throw new CommandError(ErrorCode.InvalidOptions, "abortTransaction must be run within a transaction");
        lock (context.State.Sync)
        {
            if (txn.Phase == TransactionPhase.Committed)
            {
                throw new CommandError(ErrorCode.TransactionCommitted, "Cannot abort a committed transaction");
            }

            txn.Phase = TransactionPhase.Aborted;
            return HandshakeCommands.Ok();
        }
    }
}
