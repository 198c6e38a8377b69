using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>A cursor over results fixed when the query ran (a snapshot, as a read at one point in time).</summary>
internal sealed class ListCursor : ServerCursor
{
    private readonly Queue<BsonDocument> _remaining;

    public ListCursor(string ns, IEnumerable<BsonDocument> remaining)
        : base(ns) => _remaining = new Queue<BsonDocument>(remaining);

    public bool IsEmpty => _remaining.Count == 0;

    public override Task<(List<BsonDocument> Batch, bool Exhausted)> NextBatchAsync(ReplicaSetState state, int? batchSize, TimeSpan? maxAwait, CancellationToken cancellationToken) =>
        Task.FromResult((Take(batchSize), _remaining.Count == 0));

    public List<BsonDocument> Take(int? batchSize)
    {
        var batch = new List<BsonDocument>();
        var bytes = 0;
        var limit = batchSize is > 0 ? batchSize.Value : int.MaxValue;
        while (_remaining.Count > 0 && batch.Count < limit)
        {
            var size = _remaining.Peek().ToBson().Length;
            if (batch.Count > 0 && bytes + size > MaxBatchBytes)
            {
                break;
            }

            bytes += size;
            batch.Add(_remaining.Dequeue());
        }

        return batch;
    }
}
