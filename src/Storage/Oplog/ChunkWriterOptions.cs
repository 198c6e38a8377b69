namespace Archiver.Storage.Oplog;

/// <summary>How chunks are compressed. Level 3 is zstd's default: fast enough for a one-second cut on one core.</summary>
public sealed record ChunkWriterOptions
{
    public ChunkCodec Codec { get; init; } = ChunkCodec.Zstd;

    public int CompressionLevel { get; init; } = 3;
}
