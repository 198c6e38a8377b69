namespace Archiver.Host.Node;

/// <summary>How the embedded node keeps its resources on disk (<see cref="ResourceFile"/>).</summary>
public sealed record ResourceFileOptions
{
    /// <summary>
    /// The change log is folded into <c>resources.json</c> once it passes this size. A change is one object (a
    /// status write is a few KB), so this is a few thousand changes: replaying them at start takes a fraction of a
    /// second, and rewriting the snapshot (every resource, typically well under this size) stays rare next to the
    /// changes it absorbs.
    /// </summary>
    public long CompactAtBytes { get; init; } = 4 * 1024 * 1024;
}
