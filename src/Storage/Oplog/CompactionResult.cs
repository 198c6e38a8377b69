namespace Archiver.Storage.Oplog;

/// <summary>What a compaction wrote and removed.</summary>
public sealed record CompactionResult(IReadOnlyList<ChunkDescriptor> Written, IReadOnlyList<string> Deleted);
