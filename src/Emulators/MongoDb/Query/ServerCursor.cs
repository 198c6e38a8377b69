using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>A cursor kept between find and getMore. Its id is what the client holds.</summary>
internal abstract class ServerCursor
{
    /// <summary>MongoDB stops a batch at 16 MiB whatever the requested batch size.</summary>
    public const int MaxBatchBytes = 16 * 1024 * 1024;

    protected ServerCursor(string ns) => Namespace = ns;

    public long Id { get; set; }

    public string Namespace { get; }

    /// <summary>The next batch and whether the cursor is exhausted (then it is closed and reported with id 0).</summary>
    public abstract Task<(List<BsonDocument> Batch, bool Exhausted)> NextBatchAsync(ReplicaSetState state, int? batchSize, TimeSpan? maxAwait, CancellationToken cancellationToken);
}
