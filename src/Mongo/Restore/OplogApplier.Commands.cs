using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

internal sealed partial class OplogApplier
{
    private const string ViewsSuffix = ".system.views";

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

                End(TransactionKey(op));
                return;
            case "abortTransaction":
                End(TransactionKey(op));
                return;
            case "startIndexBuild" or "abortIndexBuild":
                return;
            case "createIndexes" or "commitIndexBuild":
                await FlushAsync(cancellationToken);
                await CreateIndexesAsync(op, o, name, tolerant, cancellationToken);
                return;
        }

        await FlushAsync(cancellationToken);

        // Any of these may make a collection capped, give it a collation, or take its name (create, convertToCapped,
        // renameCollection, drop): what the round knew of collections is asked again.
        _round.Forget();
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

        // create, drop, renameCollection and dropDatabase must be alone in their applyOps. system.views may exist on the
        // target already, made by a restored view or a placeholder (ApplyViewOpAsync): its create is then done.
        var viewCatalog = name == "create" && o[0] == ViewsSuffix[1..];
        await RunTolerantAsync("admin", new BsonDocument("applyOps", new BsonArray { clean }), tolerant || viewCatalog, cancellationToken);
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
            Buffer(key, _current, ops, prepared: o.GetValue("prepare", false).ToBoolean());
            return;
        }

        if (_transactions.Remove(key, out var earlier))
        {
            earlier.AddRange(ops);
            ops = earlier;
        }

        await ApplyGroupAsync(ops, tolerant, cancellationToken);
        End(key);
        TransactionsApplied++;
    }

    /// <summary>
    /// A transaction's (or a batched write's) ops join the batch being built like any others, not a batch of their own:
    /// MongoDB's own secondaries split a committed transaction's ops over their writers too (mongodb/mongo
    /// <c>src/mongo/db/repl/oplog_applier_impl.cpp</c>, <c>_deriveOpsAndFillWriterVectors</c>), and a batch per
    /// transaction was a round trip per transaction. A checkpoint past the commit is written only with or after them.
    /// </summary>
    private async Task ApplyGroupAsync(List<BsonDocument> ops, bool tolerant, CancellationToken cancellationToken)
    {
        foreach (var inner in ops)
        {
            await ApplyOpAsync(inner, tolerant, cancellationToken);
        }
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

    /// <summary>
    /// A view is made, changed or dropped as a document of <c>system.views</c> whose <c>_id</c> is
    /// <c>"db.view"</c> (MONGODB-OPLOG.md): the <c>_id</c> follows the database mapping, and the op goes alone. A
    /// target database may have no <c>system.views</c> yet although the source had one (all its views dropped
    /// before the backup, so none was restored): MongoDB then refuses an insert (NamespaceNotFound), and only creating
    /// a view makes the collection, so a placeholder view is created and dropped, and the insert applied again.
    /// </summary>
    private async Task ApplyViewOpAsync(BsonDocument op, bool tolerant, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        if (Clean(op) is not { } clean)
        {
            return;
        }

        foreach (var field in new[] { "o", "o2" })
        {
            if (clean.TryGetValue(field, out var value) && value is BsonDocument document && document.TryGetValue("_id", out var id) && id.IsString)
            {
                var mapped = document.DeepClone().AsBsonDocument;
                mapped["_id"] = rules.MapNamespace(id.AsString);
                clean[field] = mapped;
            }
        }

        var command = new BsonDocument("applyOps", new BsonArray { clean });
        try
        {
            await runCommand("admin", command, cancellationToken);
        }
        catch (MongoDB.Driver.MongoCommandException e) when (e.Code == 26 && clean["op"] != "i")
        {
            // No system.views: a change or drop has no view to touch, and making the collection for it would leave one.
        }
        catch (MongoDB.Driver.MongoCommandException e) when (e.Code == 26)
        {
            var database = clean["ns"].AsString[..^ViewsSuffix.Length];
            var placeholder = $"archiver.view-catalog.{Guid.NewGuid():N}";
            await runCommand(database, new BsonDocument { { "create", placeholder }, { "viewOn", placeholder + ".source" }, { "pipeline", new BsonArray() } }, cancellationToken);
            await runCommand(database, new BsonDocument("drop", placeholder), cancellationToken);
            await RunTolerantAsync("admin", command, tolerant, cancellationToken);
        }
        catch (MongoDB.Driver.MongoCommandException e) when (tolerant && CatchUpTolerated.Contains(e.Code))
        {
            // Already reflected in the dump (see CatchUpTolerated).
        }
    }

    private static (BsonValue, long) TransactionKey(BsonDocument op) =>
        (op["lsid"].AsBsonDocument["id"], op["txnNumber"].ToInt64());
}
