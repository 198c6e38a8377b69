using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>
/// One timeline's part of a replay: its chunks in order, for the entries after <see cref="After"/> and, for a
/// timeline a later one branched from, up to and including <see cref="Until"/> (the branch point). The last segment
/// has no <see cref="Until"/>: the restore target ends it.
/// </summary>
/// <param name="Prefix">Where the chunks are stored (the keys in <see cref="Chunks"/> already carry it).</param>
/// <param name="After">The entry the segment continues from: the base's T0 for the first, the branch's own start for the others.</param>
public sealed record ReplaySegment(
    string Prefix,
    uint Timeline,
    string Component,
    OplogTimestamp After,
    OplogTimestamp? Until,
    IReadOnlyList<ChunkDescriptor> Chunks);
