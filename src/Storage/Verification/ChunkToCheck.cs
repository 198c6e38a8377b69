using Archiver.Storage.Oplog;

namespace Archiver.Storage.Verification;

/// <summary>
/// A chunk to read and verify and, when it continues a chain, the chain chunk just before it, which it must link
/// to: overlap it, or name its last entry as its <c>previous</c>. <see cref="After"/> is null for the first chunk
/// of a run (or of a restore's segment) and for a duplicate the chain skips.
/// </summary>
public sealed record ChunkToCheck(ChunkDescriptor Chunk, ChunkDescriptor? After);
