namespace Archiver.Storage.Oplog;

/// <summary>How a chunk's content is compressed; the value is stored in the header, so never renumber.</summary>
public enum ChunkCodec : byte
{
    None = 0,
    Zstd = 1,
}
