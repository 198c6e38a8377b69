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
/// With <paramref name="writers"/> above 1 each batch is a round of that many <c>applyOps</c> sent at once, its ops
/// split by namespace and <c>_id</c> (<see cref="ApplyOpsRound"/>): <c>runCommand</c> is then called concurrently.
/// </summary>
internal sealed partial class OplogApplier(
    NamespaceRules rules,
    Func<string, BsonDocument, CancellationToken, Task<BsonDocument>> runCommand,
    int batchSize,
    OplogTimestamp catchUpUntil,
    int writers = 1)
{
    // Errors an idempotent replay meets while catching up over (T0, T1]: the dump already holds part of the effect.
    private static readonly HashSet<int> CatchUpTolerated = [26, 27, 48, 85, 86];

    // applyOps commands stay well under the 16 MiB BSON limit.
    private const int MaxBatchBytes = 8 << 20;

    private readonly Dictionary<(BsonValue Session, long TxnNumber), List<BsonDocument>> _transactions = [];

    // Where each transaction not yet applied began; one leaves only once its commit was wholly handed on, so a
    // checkpoint taken while its ops are still going out never lets a resumed replay read past its first entry.
    private readonly Dictionary<(BsonValue Session, long TxnNumber), OplogTimestamp> _transactionStarts = [];
    private readonly HashSet<(BsonValue Session, long TxnNumber)> _prepared = [];
    private readonly ApplyOpsRound _round = new(writers);
    private readonly RawCrudOp _fast = new(rules);
    private bool _roundTolerant;

    // The entry the checkpoint in _round.Lead names (with several writers the checkpoint of a round is written by the next).
    private OplogTimestamp _leadAppliedTo;
    private OplogTimestamp _current;

    // Resumed after a stop: the stopped replay may have gone past its last checkpoint (a batch applied part way, a
    // command run alone), as far as just before its next one, so everything up to the first checkpoint written again
    // past that one's entry is applied as the catch-up over (T0, T1] is. Not the first written again: two checkpoints
    // may name one entry (the flushes before and after a command inside a transaction), and the stopped replay may have
    // got past the first of them.
    private bool _resuming;
    private long _appliedAtCheckpoint;
    private OplogTimestamp _resumedAt;
    private OplogTimestamp _checkpointed;

    /// <summary>
    /// Makes the checkpoint op that goes last into every batch sent (<see cref="RestoreMarker.CheckpointOp"/>), or with
    /// several writers first into every batch of the next round (<see cref="ApplyOpsRound.Lead"/>); null: none is written.
    /// </summary>
    public Func<BsonDocument>? Checkpoint { get; set; }

    /// <summary>The last entry whose effects are all applied or in the batch being built.</summary>
    public OplogTimestamp Done { get; private set; }

    public long DoneWallUnixMs { get; private set; }

    /// <summary>Where a replay resumed from a checkpoint taken now must read from: the first entry of the oldest open transaction, else <see cref="Done"/>.</summary>
    public OplogTimestamp ReadFrom => _transactionStarts.Count == 0 ? Done : _transactionStarts.Values.Min();

    public long EntriesApplied { get; private set; }

    /// <summary>Entries handed to <see cref="ApplyAsync"/> since the last checkpoint was written (or since the start).</summary>
    public long SinceCheckpoint => EntriesApplied - _appliedAtCheckpoint;

    public long TransactionsApplied { get; private set; }

    /// <summary>Transactions still waiting for their commit (when the replay ends: not committed at the target).</summary>
    public int OpenTransactions => _transactions.Count;

    /// <summary>
    /// Not async itself: a plain CRUD entry is appended to the batch synchronously, and only a full batch or an
    /// entry the fast path leaves out needs a state machine (one per entry cost a quarter of the fast path).
    /// </summary>
    public ValueTask ApplyAsync(in OplogEntry entry, CancellationToken cancellationToken)
    {
        if (!_fast.TryAppend(entry.Document.Span, _round))
        {
            return new ValueTask(ApplyDocumentAsync(entry, cancellationToken));
        }

        EntriesApplied++;
        _roundTolerant |= Tolerant(entry.Ts);
        (Done, DoneWallUnixMs) = (entry.Ts, entry.WallUnixMs);
        return _round.Count >= batchSize || _round.Bytes >= MaxBatchBytes ? new ValueTask(FlushAsync(cancellationToken)) : default;
    }

    /// <summary>
    /// Takes the replay up after a stop at <paramref name="checkpoint"/>: the entries from its <c>readFrom</c> up to
    /// its <c>appliedTo</c> are handed to <see cref="Collect"/>, the later ones to <see cref="ApplyAsync"/>.
    /// </summary>
    public void ResumeAt(RestoreCheckpoint checkpoint)
    {
        (Done, DoneWallUnixMs) = (checkpoint.AppliedTo, checkpoint.AppliedWallUnixMs);
        (_resuming, _resumedAt, _checkpointed) = (true, checkpoint.AppliedTo, checkpoint.AppliedTo);
    }

    /// <summary>
    /// An entry a stopped replay already applied, read again because a transaction open at its checkpoint began
    /// before it: only what keeps transactions whole is kept (the ops of one still open, the end of one applied).
    /// </summary>
    public void Collect(in OplogEntry entry)
    {
        var op = BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray());
        if (op.GetValue("op", string.Empty) != "c" || !op.Contains("lsid") || !op.Contains("txnNumber"))
        {
            return;
        }

        var o = op["o"].AsBsonDocument;
        var key = TransactionKey(op);
        if (o.TryGetValue("applyOps", out var inner) && (o.GetValue("partialTxn", false).ToBoolean() || o.GetValue("prepare", false).ToBoolean()))
        {
            Buffer(key, entry.Ts, inner.AsBsonArray.Select(v => v.AsBsonDocument), prepared: o.GetValue("prepare", false).ToBoolean());
            return;
        }

        // A commit (the last applyOps of a chain, or commitTransaction) or an abort: applied or dropped before the stop.
        End(key);
    }

    /// <summary>Prepared transactions (a sharded cluster's two-phase commits) whose commit or abort has not been read yet.</summary>
    public int PreparedOpen => _prepared.Count;

    /// <summary>
    /// An entry past the target, read only to end the prepared transactions still open there. A transaction of a sharded
    /// cluster is committed at its <c>commitTimestamp</c>, one for every shard, while each shard logs its commit entry
    /// later, at a time of its own: so one committed at or before <paramref name="target"/> is applied here even though
    /// this shard logged the commit after it (and a shard that logged it before applied it in the replay), and one
    /// committed after it, or aborted, is dropped. Every shard thus keeps the transaction whole or leaves it out whole.
    /// </summary>
    public async Task ResolvePreparedAsync(OplogEntry entry, OplogTimestamp target, CancellationToken cancellationToken)
    {
        var op = BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray());
        if (op.GetValue("op", string.Empty) != "c" || !op.Contains("lsid") || !op.Contains("txnNumber") || !_prepared.Contains(TransactionKey(op)))
        {
            return;
        }

        var key = TransactionKey(op);
        var o = op["o"].AsBsonDocument;
        if (o.Contains("commitTransaction") && o.GetValue("commitTimestamp", null) is BsonTimestamp at && OplogFields.ToStorage(at) <= target
            && _transactions.Remove(key, out var ops))
        {
            await ApplyGroupAsync(ops, tolerant: false, cancellationToken);
            TransactionsApplied++;
        }

        if (o.Contains("commitTransaction") || o.Contains("abortTransaction"))
        {
            End(key);
        }
    }

    private void End((BsonValue, long) key)
    {
        _transactions.Remove(key);
        _transactionStarts.Remove(key);
        _prepared.Remove(key);
    }

    private bool Tolerant(OplogTimestamp ts) => ts <= catchUpUntil || _resuming;

    private void Buffer((BsonValue, long) key, OplogTimestamp ts, IEnumerable<BsonDocument> ops, bool prepared)
    {
        if (prepared)
        {
            _prepared.Add(key);
        }

        if (!_transactions.TryGetValue(key, out var buffered))
        {
            _transactions[key] = buffered = [];
            _transactionStarts[key] = ts;
        }

        buffered.AddRange(ops);
    }

    /// <summary>
    /// Sends what is batched with a checkpoint, or the checkpoint alone when nothing is batched but entries were
    /// handled since the last one (commands, transactions' first entries). The replay calls it at the end of a chunk
    /// once <see cref="SinceCheckpoint"/> reaches a batch's size, and at the end of a segment; a full batch carries one
    /// anyway. So a resumed replay reads again at most about a batch of entries before the chunk it stopped in (with
    /// several writers, a round more), and the transactions open there.
    /// </summary>
    public Task CheckpointAsync(CancellationToken cancellationToken)
    {
        if (_round.Count > 0 || Checkpoint is null || Done == _checkpointed)
        {
            return FlushAsync(cancellationToken);
        }

        return SendCheckpointAsync(cancellationToken);
    }

    /// <summary>Sends what is batched. Call once more at the end of the replay.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _round.Count == 0 ? Task.CompletedTask : SendRoundAsync(cancellationToken);

    /// <summary>Sends what is batched and writes the checkpoint a last round left to the next: the end of a segment's replay.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        if (_round.Lead is not null)
        {
            await SendCheckpointAsync(cancellationToken);
        }
    }

    /// <summary>
    /// One writer: the batch with its checkpoint last, so the checkpoint is applied only if every op before it was
    /// (MongoDB applies a batch's ops in order and stops at the first that fails). Several: the round's batches at
    /// once, each led by the last round's checkpoint (<see cref="ApplyOpsRound.Lead"/>), and this round's checkpoint
    /// kept to lead the next: written only once every batch of this round was applied, never by one of them, which
    /// could land while another fails. So a stopped replay applied nothing past the first checkpoint it did not write
    /// (no op of a round is applied before its lead), and a resumed one catches up to the first it writes again.
    /// </summary>
    private async Task SendRoundAsync(CancellationToken cancellationToken)
    {
        var tolerant = _roundTolerant;
        var checkpoint = Checkpoint?.Invoke().ToBson();
        var written = _round.Lead is null ? (OplogTimestamp?)null : _leadAppliedTo;
        try
        {
            if (_round.Partitions == 1)
            {
                if (checkpoint is not null)
                {
                    _round[0].Add(checkpoint);
                    written = Done;
                }

                await SendBatchAsync(_round[0], tolerant, cancellationToken);
            }
            else
            {
                var sends = new List<Task>(_round.Partitions);
                for (var partition = 0; partition < _round.Partitions; partition++)
                {
                    if (_round[partition].Count > 0)
                    {
                        sends.Add(SendBatchAsync(_round[partition], tolerant, cancellationToken));
                    }
                }

                // All of them, failed or not, before anything else is sent: a batch must not outlive its round.
                await Task.WhenAll(sends);
                (_round.Lead, _leadAppliedTo) = (checkpoint, Done);
            }
        }
        finally
        {
            _round.Clear();
            _roundTolerant = false;
        }

        Written(written);
    }

    /// <summary>The checkpoint alone, covering everything handed on so far (every round before it was applied).</summary>
    private async Task SendCheckpointAsync(CancellationToken cancellationToken)
    {
        var tolerant = _roundTolerant;
        try
        {
            _round[0].Add(Checkpoint!().ToBson());
            await SendBatchAsync(_round[0], tolerant, cancellationToken);
        }
        finally
        {
            _round.Clear();
            _roundTolerant = false;
        }

        _round.Lead = null;
        Written(Done);
    }

    /// <summary>A checkpoint naming <paramref name="appliedTo"/> was written (null: none was).</summary>
    private void Written(OplogTimestamp? appliedTo)
    {
        // Past the stopped replay's next checkpoint, and so past everything it may have applied.
        _resuming &= Checkpoint is null || appliedTo is not { } at || at <= _resumedAt;
        _checkpointed = Done;
        _appliedAtCheckpoint = EntriesApplied;
    }

    private async Task SendBatchAsync(ApplyOpsBatch batch, bool tolerant, CancellationToken cancellationToken)
    {
        try
        {
            await runCommand("admin", batch.Command(), cancellationToken);
        }
        catch (MongoDB.Driver.MongoCommandException) when (tolerant)
        {
            // Catching up: apply one by one so an op that already took effect does not stop the rest.
            for (var i = 0; i < batch.Count; i++)
            {
                await RunTolerantAsync("admin", batch.Command(i), tolerant, cancellationToken);
            }
        }
    }

    private async Task ApplyDocumentAsync(OplogEntry entry, CancellationToken cancellationToken)
    {
        var document = BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray());
        _current = entry.Ts;
        await ApplyOpAsync(document, Tolerant(entry.Ts), cancellationToken);
        EntriesApplied++;
        (Done, DoneWallUnixMs) = (entry.Ts, entry.WallUnixMs);
    }

    private async Task ApplyOpAsync(BsonDocument op, bool tolerant, CancellationToken cancellationToken)
    {
        switch (op.GetValue("op", string.Empty).AsString)
        {
            case "i" or "u" or "d" when UsersAndRolesRules.IsNamespace(op.GetValue("ns", string.Empty).AsString):
                await ApplyUsersAndRolesOpAsync(op, cancellationToken);
                break;
            case "i" or "u" or "d" when op.GetValue("ns", string.Empty).AsString.EndsWith(ViewsSuffix, StringComparison.Ordinal):
                await ApplyViewOpAsync(op, tolerant, cancellationToken);
                break;
            case "i" or "u" or "d":
                if (Clean(op) is { } clean)
                {
                    await AddAsync(clean, tolerant, cancellationToken);
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

    /// <summary>An op of the general path into its partition of the round (<see cref="ApplyOpsRound"/>), the fast path's way.</summary>
    private async Task AddAsync(BsonDocument clean, bool tolerant, CancellationToken cancellationToken)
    {
        var op = clean.ToBson();
        var partition = 0;
        if (_round.Partitions > 1)
        {
            var ns = clean["ns"].AsString;
            ulong? idHash = null;
            if (_round.ById(ns) ?? await LearnAsync(ns, cancellationToken))
            {
                var document = clean["op"] == "u" ? clean.GetValue("o2", BsonNull.Value) : clean["o"];
                if (document is not BsonDocument named || !DocumentIdHash.TryHash(named.ToBson(), out var hash))
                {
                    // No _id to place it by: in a round of its own, after every op before it and before every op after it.
                    await FlushAsync(cancellationToken);
                    _round.Add(0, op);
                    _roundTolerant |= tolerant;
                    await FlushAsync(cancellationToken);
                    return;
                }

                idHash = hash;
            }

            partition = _round.PartitionOf(DocumentIdHash.Namespace(ns), idHash);
        }

        _round.Add(partition, op);
        _roundTolerant |= tolerant;
        if (_round.Count >= batchSize)
        {
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Asks the target what the collection is: partitioned by <c>_id</c> unless it is capped or has a collation of its
    /// own (<see cref="ApplyOpsRound"/>). One not there yet is made by its first insert, with neither.
    /// </summary>
    private async Task<bool> LearnAsync(string ns, CancellationToken cancellationToken)
    {
        var dot = ns.IndexOf('.', StringComparison.Ordinal);
        var command = new BsonDocument { { "listCollections", 1 }, { "filter", new BsonDocument("name", ns[(dot + 1)..]) } };
        var reply = await runCommand(ns[..dot], command, cancellationToken);
        var byId = false;
        if (reply.GetValue("cursor", BsonNull.Value) is BsonDocument cursor && cursor.GetValue("firstBatch", BsonNull.Value) is BsonArray found)
        {
            var options = found.Count == 0 ? [] : found[0].AsBsonDocument.GetValue("options", new BsonDocument()).AsBsonDocument;
            byId = !options.GetValue("capped", false).ToBoolean() && !options.Contains("collation");
        }

        _round.Learn(ns, byId);
        return byId;
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

        var ns = op.GetValue("ns", string.Empty).AsString;
        var clean = new BsonDocument
        {
            { "op", op["op"] },
            { "ns", rules.MapNamespace(ns) },
            { "o", rules.RewritesShards(ns) ? rules.RenameShards(op["o"].AsBsonDocument) : op["o"] },
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
