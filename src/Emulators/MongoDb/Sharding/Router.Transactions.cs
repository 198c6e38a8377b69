using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// Transactions through the router. One participant commits as on a replica set; two or more commit in two phases as
/// the coordinator does: <c>prepareTransaction</c> on each (each logs its writes with <c>prepare: true</c> and
/// answers its prepare time), then <c>commitTransaction</c> with one <c>commitTimestamp</c>, the latest prepare time,
/// on each. A prepare that fails aborts the transaction everywhere.
/// </summary>
internal sealed partial class Router
{
    private RouterTransaction? OpenTransaction(RouterContext context)
    {
        var command = context.Command;
        if (command.GetValue("lsid", null) is not BsonDocument lsid || !command.TryGetValue("txnNumber", out var number)
            || !command.TryGetValue("autocommit", out var autocommit) || autocommit.ToBoolean())
        {
            return null;
        }

        var key = RouterTransaction.KeyOf(lsid);
        var txnNumber = number.ToInt64();
        if (context.Flag("startTransaction"))
        {
            var fresh = new RouterTransaction(lsid, txnNumber, context.DocumentOrNull("readConcern"));
            _cluster.Transactions[key] = fresh;
            return fresh;
        }

        if (!_cluster.Transactions.TryGetValue(key, out var txn) || txn.TxnNumber != txnNumber)
        {
            throw new CommandError(ErrorCode.NoSuchTransaction, $"Transaction with txnNumber {txnNumber} has been aborted or does not exist.", "TransientTransactionError");
        }

        if (txn.AbortedBecause is { } why)
        {
            throw new CommandError(ErrorCode.NoSuchTransaction, $"Transaction {txnNumber} was aborted: {why}", "TransientTransactionError");
        }

        return txn;
    }

    private async Task<BsonDocument> CommitTransactionAsync(RouterContext context)
    {
        var txn = context.Transaction ?? throw new CommandError(ErrorCode.InvalidOptions, "commitTransaction must be run within a transaction");
        if (txn.Committed)
        {
            return new BsonDocument("ok", 1.0);
        }

        var commit = new BsonDocument("commitTransaction", 1);
        if (txn.ParticipantOrder.Count >= 2)
        {
            BsonTimestamp? commitTimestamp = null;
            foreach (var shard in txn.ParticipantOrder)
            {
                var prepared = await SendAsync(context, shard, "admin", new BsonDocument("prepareTransaction", 1)).ConfigureAwait(false);
                if (prepared.GetValue("ok", 0).ToDouble() != 1.0)
                {
                    await AbortEverywhereAsync(context, txn).ConfigureAwait(false);
                    ShardedCluster.Check(prepared, shard);
                }

                var at = prepared["prepareTimestamp"].AsBsonTimestamp;
                commitTimestamp = commitTimestamp is null || at.CompareTo(commitTimestamp) > 0 ? at : commitTimestamp;
            }

            _cluster.ObserveClusterTime(commitTimestamp!);
            commit["commitTimestamp"] = commitTimestamp;
        }

        foreach (var shard in txn.ParticipantOrder)
        {
            var reply = await SendAsync(context, shard, "admin", commit).ConfigureAwait(false);
            ShardedCluster.Check(reply, shard);
        }

        txn.Committed = true;
        _cluster.Transactions.TryRemove(new KeyValuePair<string, RouterTransaction>(RouterTransaction.KeyOf(txn.Lsid), txn));
        return new BsonDocument("ok", 1.0);
    }

    private async Task<BsonDocument> AbortTransactionAsync(RouterContext context)
    {
        var txn = context.Transaction ?? throw new CommandError(ErrorCode.InvalidOptions, "abortTransaction must be run within a transaction");
        if (txn.Committed)
        {
            throw new CommandError(ErrorCode.TransactionCommitted, "Cannot abort a committed transaction");
        }

        await AbortEverywhereAsync(context, txn).ConfigureAwait(false);
        return new BsonDocument("ok", 1.0);
    }

    private async Task AbortEverywhereAsync(RouterContext context, RouterTransaction txn)
    {
        txn.AbortedBecause ??= "aborted";
        foreach (var shard in txn.ParticipantOrder)
        {
            // Best effort, as the router's own abort: a participant that already forgot the transaction answers an error.
            await SendAsync(context, shard, "admin", new BsonDocument("abortTransaction", 1)).ConfigureAwait(false);
        }

        _cluster.Transactions.TryRemove(new KeyValuePair<string, RouterTransaction>(RouterTransaction.KeyOf(txn.Lsid), txn));
    }
}
