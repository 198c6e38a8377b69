namespace Archiver.Emulators.MongoDb.Durability;

/// <param name="Records">The whole records, in file order.</param>
/// <param name="ValidLength">Bytes the whole records take; anything after is a torn tail.</param>
/// <param name="TornTail">Why the bytes after <paramref name="ValidLength"/> are not a record, or null when there are none.</param>
internal sealed record RecordScan(IReadOnlyList<Record> Records, long ValidLength, string? TornTail);
