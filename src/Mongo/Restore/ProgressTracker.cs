using System.Diagnostics;

namespace Archiver.Mongo.Restore;

/// <summary>Counts a restore's work from several loaders at once and reports it.</summary>
internal sealed class ProgressTracker(IProgress<RestoreProgress>? progress, Stopwatch clock, long entriesTotal, long bytesTotal)
{
    private long _documents;
    private long _entries;
    private long _bytes;
    private RestorePhase _phase = RestorePhase.Planning;

    public long Documents => Interlocked.Read(ref _documents);

    public void AddDocuments(long count) => Interlocked.Add(ref _documents, count);

    public void AddEntries(long count) => Interlocked.Add(ref _entries, count);

    public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);

    public void Report(RestorePhase phase)
    {
        _phase = phase;
        Report();
    }

    public void Report() =>
        progress?.Report(new RestoreProgress(
            _phase,
            Interlocked.Read(ref _documents),
            Interlocked.Read(ref _entries),
            entriesTotal,
            Interlocked.Read(ref _bytes),
            bytesTotal,
            clock.Elapsed));
}
