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
/// <para>
/// prepareTransaction is the participant's half of a router's two-phase commit (a transaction that wrote on two
/// shards or more): the chain is logged at once, its last entry with <c>prepare: true</c> (even when empty), and the
/// writes stay invisible; the commit then carries the coordinator's <c>commitTimestamp</c> and logs
/// <c>{commitTransaction: 1, commitTimestamp}</c> chained to the prepare entry, or an abort logs
/// <c>{abortTransaction: 1}</c> (shapes: src/mongo/db/commands/txn_cmds.idl and logCommitOrAbortForPreparedTransaction in MongoDB's op_observer_impl.cpp).
/// </para>
/// </summary>
internal static class TransactionCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("commitTransaction", c => Task.FromResult(Commit(c)));
        dispatcher.Add("abortTransaction", c => Task.FromResult(Abort(c)));
        dispatcher.Add("prepareTransaction", c => Task.FromResult(Prepare(c)));
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

            var commitTimestamp = context.Command.GetValue("commitTimestamp", null) as BsonTimestamp;
            if (txn.Phase == TransactionPhase.Prepared)
            {
                return CommitPrepared(context.State, txn, commitTimestamp);
            }

            if (commitTimestamp is not null)
            {
                throw new CommandError(ErrorCode.InvalidOptions, "commitTimestamp cannot be provided for an unprepared transaction");
            }

            CheckCreatesStillNew(context.State, txn);
            Apply(context.State, txn);
            LogChain(context.State, txn, prepare: false);
            txn.Phase = TransactionPhase.Committed;
            return HandshakeCommands.Ok();
        }
    }

    private static void Apply(ReplicaSetState state, TransactionState txn)
    {
        var applier = new OplogApplier(state, log: false);
        foreach (var op in txn.Operations)
        {
            if (op["op"] == "c")
            {
                CreateCommitted(state, op);
            }
            else if (applier.Resolve(op, required: false) is not null)
            {
                // A collection dropped meanwhile by someone else leaves the write nowhere to go (MongoDB
                // would have failed the transaction with a write conflict instead).
                applier.ApplyCrud(op, alwaysUpsert: true);
            }
        }
    }

    private static BsonDocument Prepare(CommandContext context)
    {
        var txn = context.View.Transaction
            ?? throw new CommandError(ErrorCode.InvalidOptions, "prepareTransaction must be run within a transaction");
        lock (context.State.Sync)
        {
            if (txn.Phase == TransactionPhase.Prepared)
            {
                // A coordinator that retries its prepare gets the same answer.
                return new BsonDocument { { "prepareTimestamp", txn.PrepareTimestamp! }, { "ok", 1.0 } };
            }

            if (txn.Phase != TransactionPhase.Active)
            {
                throw new CommandError(ErrorCode.NoSuchTransaction, $"Transaction {txn.TxnNumber} has been committed or aborted.", "TransientTransactionError");
            }

            CheckCreatesStillNew(context.State, txn);
            var at = LogChain(context.State, txn, prepare: true);
            txn.Phase = TransactionPhase.Prepared;
            txn.PrepareTimestamp = at.Ts;
            return new BsonDocument { { "prepareTimestamp", at.Ts }, { "ok", 1.0 } };
        }
    }

    private static BsonDocument CommitPrepared(ReplicaSetState state, TransactionState txn, BsonTimestamp? commitTimestamp)
    {
        if (commitTimestamp is null)
        {
            throw new CommandError(ErrorCode.InvalidOptions, "commitTimestamp must be provided to commit a prepared transaction");
        }

        if (commitTimestamp.CompareTo(txn.PrepareTimestamp!) < 0)
        {
            throw new CommandError(ErrorCode.InvalidOptions, $"commitTimestamp {commitTimestamp} is before the prepareTimestamp {txn.PrepareTimestamp}");
        }

        // The commit is logged after the coordinator's commit time: the clock moves past it, as the router's
        // $clusterTime gossip would have moved it.
        state.Clock.Observe(commitTimestamp);
        Apply(state, txn);
        state.AppendTransactionEntry(txn.Session, new BsonDocument { { "commitTransaction", 1 }, { "commitTimestamp", commitTimestamp } });
        txn.Phase = TransactionPhase.Committed;
        return HandshakeCommands.Ok();
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

    /// <summary>Logs the chain; returns the optime of its last entry (the prepare entry when <paramref name="prepare"/>).</summary>
    private static OpTime LogChain(ReplicaSetState state, TransactionState txn, bool prepare)
    {
        var chunks = Pack(txn.Operations, state.Options.TransactionEntryMaxOperations, state.Options.TransactionEntryMaxBytes);
        if (prepare && chunks.Count == 0)
        {
            // An empty prepared transaction still logs its prepare: the commit needs something to follow.
            chunks.Add([]);
        }

        var last = state.LastApplied;
        for (var i = 0; i < chunks.Count; i++)
        {
            var o = new BsonDocument("applyOps", new BsonArray(chunks[i]));
            if (i < chunks.Count - 1)
            {
                o.Add("partialTxn", true);
            }
            else
            {
                if (prepare)
                {
                    o.Add("prepare", true);
                }

                if (chunks.Count > 1)
                {
                    o.Add("count", (long)txn.Operations.Count);
                }
            }

            last = state.AppendTransactionEntry(txn.Session, o);
        }

        return last;
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

            if (txn.Phase == TransactionPhase.Prepared)
            {
                // Its prepare is in the oplog: the abort must be too, or a reader would wait for a commit forever.
                context.State.AppendTransactionEntry(txn.Session, new BsonDocument("abortTransaction", 1));
            }

            txn.Phase = TransactionPhase.Aborted;
            return HandshakeCommands.Ok();
        }
    }
}
