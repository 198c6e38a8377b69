namespace Archiver.Storage.Oplog;

/// <summary>What one compaction run of a repository did.</summary>
/// <param name="Written">The merged objects published.</param>
/// <param name="Merged">How many chunks they hold between them.</param>
/// <param name="Removed">Chunks removed because a merged object, old enough, holds all of them.</param>
/// <param name="Waiting">Chunks a merged object holds that stay for now: it is too recent, or a restore reads the history.</param>
/// <param name="Leases">Restores reading the history when it ran: while there are any, nothing is removed.</param>
public sealed record CompactionReport(IReadOnlyList<ChunkDescriptor> Written, int Merged, IReadOnlyList<string> Removed, int Waiting, int Leases)
{
    public static readonly CompactionReport Nothing = new([], 0, [], 0, 0);
}
