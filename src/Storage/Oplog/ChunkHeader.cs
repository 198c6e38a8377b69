namespace Archiver.Storage.Oplog;

/// <summary>The self-describing header at the start of every chunk object; see docs/storage.md for the byte layout.</summary>
public sealed record ChunkHeader(
    ushort FormatVersion,
    ChunkCodec Codec,
    string Component,
    uint Timeline,
    int EntryCount,
    OplogTimestamp First,
    OplogTimestamp Last,
    OplogTimestamp Previous,
    long FirstWallUnixMs,
    long LastWallUnixMs,
    long ContentLength,
    long DocumentsLength,
    long PayloadLength,
    uint Checksum);
