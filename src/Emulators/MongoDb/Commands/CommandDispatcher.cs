using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Transactions;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// Routes a command to its handler after the checks a mongod makes first: authentication when users are set,
/// writes only on the primary (NotWritablePrimary), primary-only reads refused on a secondary, transaction and retryable-write
/// session bookkeeping. Turns a <see cref="CommandError"/> into an error reply.
/// </summary>
internal sealed class CommandDispatcher
{
    private static readonly HashSet<string> Writes = new(StringComparer.Ordinal)
    {
        "insert", "update", "delete", "findAndModify", "create", "drop", "dropDatabase", "createIndexes", "dropIndexes",
        "applyOps", "commitTransaction", "abortTransaction", "prepareTransaction", "renameCollection", "appendOplogNote",
    };

    private static readonly HashSet<string> RetryableWrites = new(StringComparer.Ordinal) { "insert", "update", "delete", "findAndModify" };

    private static readonly HashSet<string> PrimaryReads = new(StringComparer.Ordinal) { "find", "aggregate", "count", "distinct" };

    private readonly Dictionary<string, CommandHandler> _handlers = new(StringComparer.OrdinalIgnoreCase);

    public CommandDispatcher()
    {
        HandshakeCommands.Register(this);
        CatalogCommands.Register(this);
        IndexCommands.Register(this);
        WriteCommands.Register(this);
        FindCommands.Register(this);
        AggregateCommands.Register(this);
        ApplyOpsCommand.Register(this);
        TransactionCommands.Register(this);
        ReplicationCommands.Register(this);
        DbHashCommand.Register(this);
        AuthCommands.Register(this);
        UserCommands.Register(this);
        RoleCommands.Register(this);
        FsyncCommands.Register(this);
    }

    public void Add(string name, CommandHandler handler) => _handlers.Add(name, handler);

    public async Task<BsonDocument> DispatchAsync(CommandContext context)
    {
        var gossiped = context.Command.TryGetValue("$clusterTime", out var sent) && sent is BsonDocument sentTime ? sentTime : null;
        if (gossiped?.GetValue("clusterTime", null) is BsonTimestamp seen)
        {
            context.State.ObserveClusterTime(seen);
        }

        BsonDocument reply;
        try
        {
            reply = await RunAsync(context).ConfigureAwait(false);
        }
        catch (CommandError error)
        {
            reply = error.ToReply();
            AddRetryLabel(context, error, reply);
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or ArgumentException or KeyNotFoundException or FormatException or OverflowException)
        {
            // A malformed command (a field of the wrong type) or an emulator gap: answer as mongod would with
            // an error, rather than dropping the connection.
            reply = new CommandError(ErrorCode.InternalError, $"MongoDB emulator could not run '{context.Command.GetElement(0).Name}': {e.GetType().Name}: {e.Message}").ToReply();
        }

        if (gossiped is not null)
        {
            // The cluster time goes back with this set's newest time (never older than what was sent), as a mongod's
            // does; the signature is returned as sent (the emulator signs nothing, see docs/emulators.md).
            var clusterTime = (BsonDocument)gossiped.DeepClone();
            lock (context.State.Sync)
            {
                clusterTime["clusterTime"] = context.State.ClusterTime;
            }

            reply["$clusterTime"] = clusterTime;
        }

        return reply;
    }

    private async Task<BsonDocument> RunAsync(CommandContext context)
    {
        if (context.Command.ElementCount == 0 || !_handlers.TryGetValue(context.Name, out var handler))
        {
            var name = context.Command.ElementCount == 0 ? string.Empty : context.Name;
            throw new CommandError(ErrorCode.CommandNotFound, $"no such command: '{name}' (not supported by the MongoDB emulator)");
        }

        var state = context.State;
        if (state.CommandDelays.TryGetValue(context.Name, out var delay))
        {
            await Task.Delay(delay, context.Cancellation).ConfigureAwait(false);
        }

        if (state.Users.Enabled && context.Connection is { User: null } && !AuthCommands.WithoutAuthentication.Contains(context.Name))
        {
            // As mongod with --auth (KubeDB runs it so): nothing but the handshake before the client authenticates.
            throw new CommandError(ErrorCode.Unauthorized, $"command {context.Name} requires authentication");
        }

        var isWrite = Writes.Contains(context.Name) || UserCommands.Writes.Contains(context.Name);
        if (isWrite && !state.IsPrimary(context.Member))
        {
            throw new CommandError(ErrorCode.NotWritablePrimary, "not primary");
        }

        // A write needs the global lock in intent-exclusive mode: it waits while the member is fsync-locked.
        var gate = isWrite ? state.Members[context.Member] : null;
        SessionState? checkedOut = null;
        if (gate is not null)
        {
            await gate.EnterWriteAsync(MaxTime(context.Command), context.Cancellation).ConfigureAwait(false);
        }

        try
        {
            if (isWrite && !state.IsPrimary(context.Member))
            {
                // Stepped down while it waited.
                throw new CommandError(ErrorCode.NotWritablePrimary, "not primary");
            }

            if (PrimaryReads.Contains(context.Name) && !state.IsPrimary(context.Member) && !AllowsSecondary(context.Command))
            {
                throw new CommandError(ErrorCode.NotPrimaryNoSecondaryOk, "not primary and secondaryOk=false");
            }

            var lsid = context.DocumentOrNull("lsid");
            var txnNumber = context.Command.TryGetValue("txnNumber", out var number) ? number.ToInt64() : (long?)null;
            var transactional = lsid is not null && txnNumber is not null && context.Command.TryGetValue("autocommit", out var autocommit) && !autocommit.ToBoolean();
            RetryableWrite? retry = null;
            if (lsid is not null && txnNumber is not null && !transactional && RetryableWrites.Contains(context.Name))
            {
                SessionState toCheckOut;
                lock (state.Sync)
                {
                    toCheckOut = state.Sessions.Get(lsid);
                }

                await toCheckOut.Checkout.WaitAsync(context.Cancellation).ConfigureAwait(false);
                checkedOut = toCheckOut;
            }

            lock (state.Sync)
            {
                if (transactional)
                {
                    context.View = new DataView(state, OpenTransaction(state, context, lsid!, txnNumber!.Value), null, state.StorageSeenBy(context.Member));
                }
                else
                {
                    // A retryable write: its session is checked out to it (above).
                    if (checkedOut is not null)
                    {
                        var firstStmtId = context.Command.GetValue("stmtIds", null) is BsonArray { Count: > 0 } stmtIds ? stmtIds[0].ToInt32() : 0;
                        if (checkedOut.LastRetryableTxnNumber == txnNumber && checkedOut.LastRetryableFirstStmtId == firstStmtId && checkedOut.LastRetryableReply is { } cached)
                        {
                            return (BsonDocument)cached.DeepClone();
                        }

                        retry = new RetryableWrite(lsid!, txnNumber!.Value) { NextStmtId = firstStmtId };
                    }

                    context.View = new DataView(state, null, retry, state.StorageSeenBy(context.Member));
                }
            }

            if (state.CommandHold is { } hold && hold.Command == context.Name)
            {
                await hold.WaitAsync(context.Cancellation).ConfigureAwait(false);
            }

            var reply = await handler(context).ConfigureAwait(false);
            if (checkedOut is not null && retry is not null)
            {
                lock (state.Sync)
                {
                    checkedOut.LastRetryableTxnNumber = retry.TxnNumber;
                    checkedOut.LastRetryableFirstStmtId = context.Command.GetValue("stmtIds", null) is BsonArray { Count: > 0 } sent ? sent[0].ToInt32() : 0;
                    checkedOut.LastRetryableReply = (BsonDocument)reply.DeepClone();
                }
            }

            return reply;
        }
        finally
        {
            checkedOut?.Checkout.Release();
            gate?.ExitWrite();
        }
    }

    private static TransactionState OpenTransaction(ReplicaSetState state, CommandContext context, BsonDocument lsid, long txnNumber)
    {
        var session = state.Sessions.Get(lsid);
        if (context.Flag("startTransaction"))
        {
            if (session.Transaction is { } current && current.TxnNumber >= txnNumber)
            {
                throw new CommandError(ErrorCode.BadValue, $"Cannot start transaction {txnNumber}: a newer or equal one exists");
            }

            session.Transaction = new TransactionState(new RetryableWrite(lsid, txnNumber));
            return session.Transaction;
        }

        var txn = session.Transaction;
        if (txn is null || txn.TxnNumber != txnNumber || txn.Phase == TransactionPhase.Aborted)
        {
            throw new CommandError(ErrorCode.NoSuchTransaction, $"Transaction with txnNumber {txnNumber} has been aborted or does not exist.", "TransientTransactionError");
        }

        if (txn.Phase == TransactionPhase.Prepared && context.Name is not ("commitTransaction" or "abortTransaction" or "prepareTransaction"))
        {
            // src/mongo/db/transaction/transaction_participant.cpp: a prepared transaction takes no more statements.
            throw new CommandError(ErrorCode.PreparedTransactionInProgress, "Cannot call any operation other than abort, prepare or commit on a prepared transaction");
        }

        if (txn.Phase == TransactionPhase.Committed && context.Name != "commitTransaction")
        {
            throw new CommandError(ErrorCode.TransactionCommitted, $"Transaction {txnNumber} has been committed.");
        }

        return txn;
    }

    /// <summary>
    /// Since wire version 9 drivers retry a write only when the server labels the error: RetryableWriteError for
    /// a retryable write or a commit/abort, TransientTransactionError for a statement inside a transaction.
    /// </summary>
    private static void AddRetryLabel(CommandContext context, CommandError error, BsonDocument reply)
    {
        if (error.Code is not (ErrorCode.NotWritablePrimary or ErrorCode.NotPrimaryNoSecondaryOk) || !context.Command.Contains("txnNumber"))
        {
            return;
        }

        var inTransaction = context.Command.TryGetValue("autocommit", out var autocommit) && !autocommit.ToBoolean();
        var label = !inTransaction || context.Name is "commitTransaction" or "abortTransaction"
            ? "RetryableWriteError"
            : "TransientTransactionError";
        reply["errorLabels"] = new BsonArray { label };
    }

    /// <summary>The command's <c>maxTimeMS</c>; absent or 0 is no limit.</summary>
    private static TimeSpan? MaxTime(BsonDocument command) =>
        command.TryGetValue("maxTimeMS", out var value) && value.IsNumeric && value.ToInt64() > 0 ? TimeSpan.FromMilliseconds(value.ToInt64()) : null;

    private static bool AllowsSecondary(BsonDocument command) =>
        command.TryGetValue("$readPreference", out var preference)
        && preference is BsonDocument doc
        && doc.TryGetValue("mode", out var mode)
        && mode.AsString != "primary";
}
