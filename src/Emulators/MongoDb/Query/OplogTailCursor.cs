using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>
/// A tailable cursor on <c>local.oplog.rs</c>. It remembers the last entry it scanned; a getMore returns what was
/// appended since, or waits up to maxTimeMS (awaitData) and returns an empty batch with the cursor still open.
/// If its position was truncated away the getMore fails with CappedPositionLost, as collection_scan.cpp does.
/// </summary>
internal sealed class OplogTailCursor : ServerCursor
{
    private static readonly TimeSpan DefaultAwait = TimeSpan.FromSeconds(1);
    private readonly BsonDocument? _filter;
    private readonly BsonDocument? _projection;
    private readonly bool _awaitData;
    private readonly int _member;
    private long _position;

    /// <param name="member">The member the cursor was opened on: it returns only what that member has applied.</param>
    public OplogTailCursor(BsonDocument? filter, BsonDocument? projection, bool awaitData, long position, int member)
        : base("local.oplog.rs")
    {
        _filter = filter;
        _projection = projection;
        _awaitData = awaitData;
        _position = position;
        _member = member;
    }

    public override async Task<(List<BsonDocument> Batch, bool Exhausted)> NextBatchAsync(ReplicaSetState state, int? batchSize, TimeSpan? maxAwait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + (maxAwait ?? DefaultAwait);
        while (true)
        {
            Task appended;
            lock (state.Sync)
            {
                appended = state.Appended.Next;
                var oldest = state.Oplog.Oldest;
                if (oldest is not null && oldest.Position > _position)
                {
                    throw new CommandError(ErrorCode.CappedPositionLost, "CollectionScan died due to failure to restore tailable cursor position. Last seen record id: " + _position);
                }

                var batch = Scan(state, batchSize);
                if (batch.Count > 0 || !_awaitData)
                {
                    return (batch, false);
                }
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return ([], false);
            }

            await Task.WhenAny(appended, Task.Delay(remaining, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Scans forward from the position. Caller holds the lock.</summary>
    public List<BsonDocument> Scan(ReplicaSetState state, int? batchSize)
    {
        var limit = batchSize is > 0 ? batchSize.Value : int.MaxValue;
        var batch = new List<BsonDocument>();
        var bytes = 0;
        var newest = state.NewestPositionOn(_member);
        foreach (var entry in state.Oplog.StreamAfter(_position))
        {
            if (entry.Position > newest || batch.Count >= limit || (batch.Count > 0 && bytes + entry.Size > MaxBatchBytes))
            {
                break;
            }

            _position = entry.Position;
            var document = entry.Decode();
            if (FilterMatcher.Matches(document, _filter))
            {
                batch.Add(Projection.Apply(document, _projection));
                bytes += entry.Size;
            }
        }

        return batch;
    }
}
