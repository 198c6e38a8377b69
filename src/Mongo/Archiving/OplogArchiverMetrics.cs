using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Archiver.Mongo.Archiving;

/// <summary>
/// What oplog archivers measure, on the host's <see cref="Meter"/> (System.Diagnostics.Metrics, in the BCL: this
/// library takes no metrics package; the host exports). Labelled by database (<c>namespace</c>, <c>database</c>,
/// <c>component</c>) and nothing finer: never a chunk or a request, so a series is one per archived replica set.
/// The sidecar exports these for its own database; the embedded node for every database it archives in-process.
/// Names and meanings: docs/metrics.md.
/// </summary>
public sealed class OplogArchiverMetrics
{
    // Upload times of a chunk (encode and put): a local folder takes milliseconds, S3 tens to hundreds; past 10 s the
    // chunk is late enough to show in the lag anyway.
    private static readonly double[] UploadBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _uploadedBytes;
    private readonly Counter<long> _uploadedChunks;
    private readonly Histogram<double> _uploadSeconds;
    private readonly ConcurrentDictionary<DatabaseOplogMetrics, OplogArchiverStatus> _latest = new();

    public OplogArchiverMetrics(Meter meter)
    {
        _uploadedBytes = meter.CreateCounter<long>("archiver.oplog.chunk.upload", "By", "Bytes of oplog chunks stored in the repository (compressed, as written).");
        _uploadedChunks = meter.CreateCounter<long>("archiver.oplog.chunks.uploaded", "{chunk}", "Oplog chunks stored in the repository.");
        _uploadSeconds = meter.CreateHistogram("archiver.oplog.chunk.upload.duration", "s", "How long storing one oplog chunk took (encoding and the put).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = UploadBuckets });
        meter.CreateObservableGauge("archiver.oplog.lag", () => Observe(s => s.Lag?.TotalSeconds), "s",
            "Newest majority-committed write's wall time minus the newest archived entry's, as the archiver measured it.");
        meter.CreateObservableGauge("archiver.oplog.headroom", () => Observe(s => s.OplogHeadroom?.TotalSeconds), "s",
            "About how long until the oldest unarchived entry would roll off the oplog.");
        meter.CreateObservableGauge("archiver.oplog.last_archived.timestamp", () => Observe(s => s.WalSegmentEndWall?.ToUnixTimeMilliseconds() / 1000.0), "s",
            "Wall time of the newest archived oplog entry, in seconds since the Unix epoch.");
    }

    /// <summary>The measurements of one database's archiver; dispose it when that archiver stops, and its gauges go.</summary>
    public DatabaseOplogMetrics For(string @namespace, string database, string component) => new(this, @namespace, database, component);

    internal void ChunkUploaded(DatabaseOplogMetrics target, long bytes, TimeSpan took)
    {
        _uploadedBytes.Add(bytes, target.Labels);
        _uploadedChunks.Add(1, target.Labels);
        _uploadSeconds.Record(took.TotalSeconds, target.Labels);
    }

    internal void Reported(DatabaseOplogMetrics target, OplogArchiverStatus status) => _latest[target] = status;

    internal void Forget(DatabaseOplogMetrics target) => _latest.TryRemove(target, out _);

    private IEnumerable<Measurement<double>> Observe(Func<OplogArchiverStatus, double?> value)
    {
        foreach (var (target, status) in _latest)
        {
            if (value(status) is { } v) yield return new Measurement<double>(v, target.Labels);
        }
    }
}
