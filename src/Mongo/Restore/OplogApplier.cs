using Archiver.Storage;
using Archiver.Storage.Oplog;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Replays oplog entries the way <c>mongorestore --oplogReplay</c> does (MONGODB-OPLOG.md §4), with transactions
/// kept whole: CRUD ops go out in <c>applyOps</c> batches; commands alone; index builds as <c>createIndexes</c>;
/// <c>n</c>, <c>startIndexBuild</c> and <c>abortIndexBuild</c> skipped; <c>ui</c> and <c>h</c> never sent.
/// A transaction's ops (a <c>partialTxn</c> chain, or a prepared transaction) are buffered per
/// (<c>lsid.id</c>, <c>txnNumber</c>) and applied only when its commit entry is replayed, so a target that falls
/// inside a transaction's span leaves it out entirely. A batch reaches <c>runCommand</c> over the applier's own
/// reused buffer: <c>runCommand</c> must be done with the command (sent or copied) when its task completes.
/// </summary>
internal sealed partial class OplogApplier(
    NamespaceRules rules,
    Func<string, BsonDocument, CancellationToken, Task> runCommand,
    int batchSize,
    OplogTimestamp catchUpUntil)
{
    // Errors an idempotent replay meets while catching up over (T0, T1]: the dump already holds part of the effect.
    private static readonly HashSet<int> CatchUpTolerated = [26, 27, 48, 85, 86];

    // applyOps commands stay well under the 16 MiB BSON limit.
    private const int MaxBatchBytes = 8 << 20;

    private readonly Dictionary<(BsonValue Session, long TxnNumber), List<BsonDocument>> _transactions = [];
    private readonly ApplyOpsBatch _batch = new();
    private readonly RawCrudOp _fast = new(rules);
    private bool _batchTolerant;

    public long EntriesApplied { get; private set; }

    public long TransactionsApplied { get; private set; }

    /// <summary>Transactions still waiting for their commit (when the replay ends: not committed at the target).</summary>
    public int OpenTransactions => _transactions.Count;

    /// <summary>
    /// Not async itself: a plain CRUD entry is appended to the batch synchronously, and only a full batch or an
    /// entry the fast path leaves out needs a state machine (one per entry cost a quarter of the fast path).
    /// </summary>
    public ValueTask ApplyAsync(in OplogEntry entry, CancellationToken cancellationToken)
    {
        if (!_fast.TryAppend(entry.Document.Span, _batch))
        {
            return new ValueTask(ApplyDocumentAsync(entry, cancellationToken));
        }

        EntriesApplied++;
        _batchTolerant |= entry.Ts <= catchUpUntil;
        return _batch.Count >= batchSize || _batch.Bytes >= MaxBatchBytes ? new ValueTask(FlushAsync(cancellationToken)) : default;
    }

    /// <summary>Sends what is batched. Call once more at the end of the replay.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var tolerant = _batchTolerant;
        try
        {
            await runCommand("admin", _batch.Command(), cancellationToken);
        }
        catch (MongoDB.Driver.MongoCommandException) when (tolerant)
        {
            // Catching up: apply one by one so an op that already took effect does not stop the rest.
            for (var i = 0; i < _batch.Count; i++)
            {
                await RunTolerantAsync("admin", _batch.Command(i), tolerant, cancellationToken);
            }
        }
        finally
        {
            _batch.Clear();
            _batchTolerant = false;
        }
    }

    private async Task ApplyDocumentAsync(OplogEntry entry, CancellationToken cancellationToken)
    {
        var document = BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray());
        await ApplyOpAsync(document, entry.Ts <= catchUpUntil, cancellationToken);
        EntriesApplied++;
    }

    private async Task ApplyOpAsync(BsonDocument op, bool tolerant, CancellationToken cancellationToken)
    {
        switch (op.GetValue("op", string.Empty).AsString)
        {
            case "i" or "u" or "d" when op.GetValue("ns", string.Empty).AsString.EndsWith(ViewsSuffix, StringComparison.Ordinal):
                await ApplyViewOpAsync(op, tolerant, cancellationToken);
                break;
            case "i" or "u" or "d":
                if (Clean(op) is { } clean)
                {
                    _batch.Add(clean.ToBson());
                    _batchTolerant |= tolerant;
                    if (_batch.Count >= batchSize)
                    {
                        await FlushAsync(cancellationToken);
                    }
                }

                break;
            case "c":
                await ApplyCommandAsync(op, tolerant, cancellationToken);
                break;
            default:
                // 'n' no-ops prove continuity; they change nothing.
                break;
        }
    }

    private async Task RunTolerantAsync(string database, BsonDocument command, bool tolerant, CancellationToken cancellationToken)
    {
        try
        {
            await runCommand(database, command, cancellationToken);
        }
        catch (MongoDB.Driver.MongoCommandException e) when (tolerant && CatchUpTolerated.Contains(e.Code))
        {
            // Already reflected in the dump (see CatchUpTolerated).
        }
    }

    /// <summary>The op as applyOps should get it: mapped namespace, no <c>ui</c>/<c>h</c>/session fields; null if skipped.</summary>
    private BsonDocument? Clean(BsonDocument op)
    {
        if (rules.Skip(op))
        {
            return null;
        }

        var clean = new BsonDocument
        {
            { "op", op["op"] },
            { "ns", rules.MapNamespace(op.GetValue("ns", string.Empty).AsString) },
            { "o", op["o"] },
        };
        if (op.TryGetValue("o2", out var o2))
        {
            clean.Add("o2", o2);
        }

        if (op.TryGetValue("b", out var upsert))
        {
            clean.Add("b", upsert);
        }

        return clean;
    }
}
