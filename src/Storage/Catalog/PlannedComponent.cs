using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>The chunks one component replays, in order, after the base backup.</summary>
public sealed record PlannedComponent(string Component, IReadOnlyList<ChunkDescriptor> Chunks);
