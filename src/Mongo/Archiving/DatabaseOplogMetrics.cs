namespace Archiver.Mongo.Archiving;

/// <summary>
/// <see cref="OplogArchiverMetrics"/> bound to one archived replica set: what an <see cref="OplogArchiver"/> reports
/// through (<see cref="OplogArchiverOptions.Metrics"/>). Disposed, its gauges are no longer exported.
/// </summary>
public sealed class DatabaseOplogMetrics : IDisposable
{
    private readonly OplogArchiverMetrics _metrics;

    internal DatabaseOplogMetrics(OplogArchiverMetrics metrics, string @namespace, string database, string component)
    {
        _metrics = metrics;
        Labels = [new("namespace", @namespace), new("database", database), new("component", component)];
    }

    internal KeyValuePair<string, object?>[] Labels { get; }

    public void ChunkUploaded(long bytes, TimeSpan took) => _metrics.ChunkUploaded(this, bytes, took);

    public void Reported(OplogArchiverStatus status) => _metrics.Reported(this, status);

    public void Dispose() => _metrics.Forget(this);
}
