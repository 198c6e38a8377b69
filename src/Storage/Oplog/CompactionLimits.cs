namespace Archiver.Storage.Oplog;

/// <summary>How large what compaction writes may grow.</summary>
public sealed record CompactionLimits
{
    /// <summary>
    /// The stored size a merged object grows to: 64 MiB, so that a busy day (20,000 writes a second) is some hundreds
    /// of objects, not 86,400. Its chunks' stored sizes are summed; merged, they compress at least as well.
    /// </summary>
    public long TargetObjectBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The content (uncompressed) of one frame of a merged object: what a reader holds in memory at a time, whatever
    /// the object's size. 16 MiB, the largest chunk the archiver cuts.
    /// </summary>
    public int FrameContentBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Chunks at least this large are left as they are: a quarter of <see cref="TargetObjectBytes"/>.</summary>
    public long MergeBelowBytes => TargetObjectBytes / 4;
}
