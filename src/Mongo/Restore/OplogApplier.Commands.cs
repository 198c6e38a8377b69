using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

internal sealed partial class OplogApplier
{
    private async Task ApplyCommandAsync(BsonDocument op, bool tolerant, CancellationToken cancellationToken)
    {
        var o = op["o"].AsBsonDocument;
        var name = o.ElementCount > 0 ? o.GetElement(0).Name : string.Empty;
        if (o.TryGetValue("applyOps", out var inner))
        {
            await ApplyOpsEntryAsync(op, o, inner.AsBsonArray, tolerant, cancellationToken);
            return;
        }

        switch (name)
        {
            case "commitTransaction":
                if (_transactions.Remove(TransactionKey(op), out var prepared))
                {
                    await ApplyGroupAsync(prepared, tolerant, cancellationToken);
                    TransactionsApplied++;
                }

                return;
            case "abortTransaction":
                _transactions.Remove(TransactionKey(op));
                return;
            case "startIndexBuild" or "abortIndexBuild":
                return;
            case "createIndexes" or "commitIndexBuild":
                await FlushAsync(cancellationToken);
                await CreateIndexesAsync(op, o, name, tolerant, cancellationToken);
                return;
        }

        await FlushAsync(cancellationToken);
        if (Clean(op) is not { } clean)
        {
            return;
        }

        if (name == "renameCollection")
        {
            var command = clean["o"].AsBsonDocument.DeepClone().AsBsonDocument;
            command["renameCollection"] = rules.MapNamespace(command["renameCollection"].AsString);
            command["to"] = rules.MapNamespace(command["to"].AsString);
            command.Remove("dropTarget");
            clean["o"] = command;
        }

        // create, drop, renameCollection and dropDatabase must be alone in their applyOps.
        await RunTolerantAsync("admin", new BsonDocument("applyOps", new BsonArray { clean }), tolerant, cancellationToken);
    }

    private async Task ApplyOpsEntryAsync(BsonDocument op, BsonDocument o, BsonArray inner, bool tolerant, CancellationToken cancellationToken)
    {
        var ops = inner.Select(v => v.AsBsonDocument).ToList();
        if (!op.Contains("lsid") || !op.Contains("txnNumber"))
        {
            // Batched writes (6.1+ multi-deletes) or 8.0 vectored inserts: not a transaction, applied as they come.
            await ApplyGroupAsync(ops, tolerant, cancellationToken);
            return;
        }

        var key = TransactionKey(op);
        if (o.GetValue("partialTxn", false).ToBoolean() || o.GetValue("prepare", false).ToBoolean())
        {
            if (!_transactions.TryGetValue(key, out var buffered))
            {
                _transactions[key] = buffered = [];
            }

            buffered.AddRange(ops);
            return;
        }

        if (_transactions.Remove(key, out var earlier))
        {
            earlier.AddRange(ops);
            ops = earlier;
        }

        await ApplyGroupAsync(ops, tolerant, cancellationToken);
        TransactionsApplied++;
    }

    private async Task ApplyGroupAsync(List<BsonDocument> ops, bool tolerant, CancellationToken cancellationToken)
    {
        foreach (var inner in ops)
        {
            await ApplyOpAsync(inner, tolerant, cancellationToken);
        }

        await FlushAsync(cancellationToken);
    }

    private async Task CreateIndexesAsync(BsonDocument op, BsonDocument o, string name, bool tolerant, CancellationToken cancellationToken)
    {
        if (rules.Skip(op))
        {
            return;
        }

        var collection = o[name].AsString;
        BsonArray indexes;
        if (name == "commitIndexBuild")
        {
            indexes = o["indexes"].AsBsonArray;
        }
        else
        {
            var spec = o.DeepClone().AsBsonDocument;
            spec.Remove("createIndexes");
            indexes = [spec];
        }

        var database = op["ns"].AsString.Split('.')[0];
        var command = new BsonDocument { { "createIndexes", collection }, { "indexes", indexes } };
        await RunTolerantAsync(rules.MapDatabase(database), command, tolerant, cancellationToken);
    }

    private static (BsonValue, long) TransactionKey(BsonDocument op) =>
        (op["lsid"].AsBsonDocument["id"], op["txnNumber"].ToInt64());
}
