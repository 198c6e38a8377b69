namespace Archiver.Storage.Oplog;

/// <summary>
/// One chunk as <see cref="ChunkReadAhead.ReadEachAsync"/> read it: verified and decoded, or the
/// <see cref="CorruptObjectException"/> or <see cref="ObjectNotFoundException"/> reading it ended in. A decoded
/// chunk lives in its reader's buffers: valid until the caller asks for the next one.
/// </summary>
public sealed record ChunkRead(string Key, OplogChunk? Chunk, Exception? Error);
