namespace Archiver.Mongo.Restore;

/// <summary>
/// The ops of one round of the replay, split over <see cref="Partitions"/> <c>applyOps</c> batches that are sent at
/// once, over as many connections, and all awaited before the next round: how MongoDB's secondaries apply a batch
/// (mongodb/mongo <c>src/mongo/db/repl/oplog_applier_impl.cpp</c>, <c>_fillWriterVectors</c>: each CRUD op goes to the
/// writer its namespace and <c>_id</c> hash to, and the batch is applied whole before the next one starts). Every op on
/// one document falls in one partition, in the order it came, and a partition's ops are applied in order, so a
/// document sees its ops in order; ops on different documents commute. A capped collection (whose inserts' order is
/// its order) and a collection with a collation of its own (whose <c>_id</c>s may be equal with other bytes) are
/// partitioned by namespace alone, as <c>getWriterId</c> does for capped ones: what a collection is is asked of the
/// target once, and forgotten at every command (<see cref="Forget"/>), the only ops that change it.
/// </summary>
internal sealed class ApplyOpsRound
{
    private readonly ApplyOpsBatch[] _batches;
    private readonly Dictionary<string, bool> _byId = new(StringComparer.Ordinal);

    public ApplyOpsRound(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _batches = new ApplyOpsBatch[partitions];
        for (var i = 0; i < partitions; i++)
        {
            _batches[i] = new ApplyOpsBatch();
        }
    }

    public int Partitions => _batches.Length;

    /// <summary>Ops of entries in the round (not the checkpoint ops that lead its batches).</summary>
    public int Count { get; private set; }

    public int Bytes { get; private set; }

    /// <summary>Bumped by <see cref="Forget"/>, so a cache of <see cref="ById"/> answers knows it is stale.</summary>
    public int Generation { get; private set; }

    /// <summary>
    /// The checkpoint op (its BSON) of the last round, which every batch of this round carries first: a batch's ops are
    /// applied in order, so no op of this round is applied before the checkpoint that claims only rounds all applied.
    /// </summary>
    public byte[]? Lead { get; set; }

    public ApplyOpsBatch this[int partition] => _batches[partition];

    /// <summary>Whether a namespace is partitioned by <c>_id</c> (true) or by itself (false); null if not asked yet.</summary>
    public bool? ById(string ns) => _byId.TryGetValue(ns, out var byId) ? byId : null;

    public void Learn(string ns, bool byId) => _byId[ns] = byId;

    public void Forget()
    {
        _byId.Clear();
        Generation++;
    }

    /// <summary>The partition of an op on <paramref name="nsHash"/>'s namespace with the given <c>_id</c> hash (null: by namespace alone).</summary>
    public int PartitionOf(ulong nsHash, ulong? idHash)
    {
        if (_batches.Length == 1)
        {
            return 0;
        }

        var hash = idHash is { } id ? (nsHash ^ id) * 1099511628211 : nsHash;
        return (int)((hash >> 32) % (uint)_batches.Length);
    }

    /// <summary>Reserves room for one op of <paramref name="size"/> bytes in <paramref name="partition"/>'s batch, after the round's <see cref="Lead"/> if the batch is new.</summary>
    public Span<byte> Append(int partition, int size)
    {
        var batch = _batches[partition];
        if (batch.Count == 0 && Lead is { } lead)
        {
            batch.Add(lead);
        }

        Count++;
        Bytes += size;
        return batch.Append(size);
    }

    public void Add(int partition, ReadOnlySpan<byte> op) => op.CopyTo(Append(partition, op.Length));

    public void Clear()
    {
        foreach (var batch in _batches)
        {
            batch.Clear();
        }

        Count = 0;
        Bytes = 0;
    }
}
