namespace Archiver.Mongo.Restore;

/// <summary>
/// How far a restore is: documents loaded plus oplog entries replayed (<see cref="ItemsDone"/>), and the bytes
/// read from the repository (stored sizes, so the total is known before starting).
/// </summary>
public sealed record RestoreProgress(
    RestorePhase Phase,
    long DocumentsLoaded,
    long EntriesReplayed,
    long EntriesTotal,
    long BytesDone,
    long BytesTotal,
    TimeSpan Elapsed)
{
    public long ItemsDone => DocumentsLoaded + EntriesReplayed;

    /// <summary>Bytes per second read so far.</summary>
    public double BytesPerSecond => Elapsed > TimeSpan.Zero ? BytesDone / Elapsed.TotalSeconds : 0;

    /// <summary>Oplog entries per second during the replay.</summary>
    public double EntriesPerSecond => Elapsed > TimeSpan.Zero ? EntriesReplayed / Elapsed.TotalSeconds : 0;

    public double Fraction => BytesTotal > 0 ? Math.Min(1, (double)BytesDone / BytesTotal) : 0;
}
