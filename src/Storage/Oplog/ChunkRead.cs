namespace Archiver.Storage.Oplog;

/// <summary>
/// One frame of a chunk object as <see cref="ChunkReadAhead.ReadEachAsync"/> read it: verified and decoded, or the
/// <see cref="CorruptObjectException"/> or <see cref="ObjectNotFoundException"/> reading the object ended in. A
/// decoded frame lives in its reader's buffers: valid until the caller asks for the next one.
/// </summary>
/// <param name="Frame">Which frame of the object (0 for the first): an object cut by the archiver has one, a merged one many.</param>
public sealed record ChunkRead(string Key, OplogChunk? Chunk, Exception? Error, int Frame = 0);
