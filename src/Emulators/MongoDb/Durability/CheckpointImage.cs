using Archiver.Emulators.MongoDb.Oplog;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// A checkpoint read back and checked (every record whole and matching its checksum, the end record present), not
/// yet turned into collections: only the member a set starts from is materialised.
/// </summary>
internal sealed record CheckpointImage(
    string Path,
    long Generation,
    Guid Id,
    string SetName,
    OpTime Applied,
    long Term,
    long OplogMaxBytes,
    IReadOnlyList<Record> Body);
