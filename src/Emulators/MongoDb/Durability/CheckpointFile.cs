using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// A checkpoint: everything a member holds at one optime, as WiredTiger's checkpoint is a consistent image of every
/// table at its stable timestamp. Records: a header (<c>{format, version, generation, checkpointId, setName,
/// appliedOpTime, appliedWall, term, oplogMaxBytes}</c>), per collection its catalog entry then its documents in
/// <c>_id</c> order (every database, <c>local</c> included, so views in <c>system.views</c>, time-series buckets, users
/// and roles in <c>admin.system.*</c> come along), the oplog oldest first, and an end record counting the records
/// before it, so a file cut short is told from a complete one.
/// </summary>
internal static class CheckpointFile
{
    public const string Format = "archiver-mongo-emulator-checkpoint";

    public const int Version = 1;

    /// <summary>Writes the shared state to <paramref name="path"/> and makes it durable (fsync). Caller holds the replica-set lock.</summary>
    public static void Write(string path, ReplicaSetState state, long generation, Guid id)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, 1 << 16);
        var applied = state.LastApplied;
        var header = new BsonDocument
        {
            { "format", Format },
            { "version", Version },
            { "generation", generation },
            { "checkpointId", new BsonBinaryData(id, GuidRepresentation.Standard) },
            { "setName", state.Options.ReplicaSetName },
            { "appliedOpTime", applied.ToDocument() },
            { "appliedWall", new BsonDateTime(applied.Wall) },
            { "term", state.Term },
            { "oplogMaxBytes", state.Oplog.MaxBytes },
        };
        RecordFile.Write(stream, RecordKind.Header, header.ToBson());
        long records = 1;
        foreach (var database in state.Storage.DatabaseNames)
        {
            foreach (var collection in state.Storage.Collections(database))
            {
                var entry = new BsonDocument
                {
                    { "db", collection.Database },
                    { "name", collection.Name },
                    { "uuid", collection.UuidValue },
                    { "options", collection.Options },
                    { "indexes", new BsonArray(collection.Indexes) },
                };
                RecordFile.Write(stream, RecordKind.Collection, entry.ToBson());
                records++;
                foreach (var document in collection.Documents)
                {
                    RecordFile.Write(stream, RecordKind.Document, document.ToBson());
                    records++;
                }
            }
        }

        foreach (var entry in state.Oplog.All)
        {
            RecordFile.Write(stream, RecordKind.OplogEntry, entry.Bson);
            records++;
        }

        RecordFile.Write(stream, RecordKind.End, new BsonDocument("records", records).ToBson());
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Reads and checks a checkpoint; anything short of a whole one throws, naming the file and what is wrong.</summary>
    public static CheckpointImage Read(string path)
    {
        var scan = RecordFile.Read(path, File.ReadAllBytes(path));
        var records = scan.Records;
        if (records.Count == 0 || records[0].Kind != RecordKind.Header)
        {
            throw new MongoDataDirectoryException(path, scan.TornTail is { } why ? $"cut short before its header ({why})" : "it does not start with a checkpoint header");
        }

        if (scan.TornTail is { } torn)
        {
            throw new MongoDataDirectoryException(path, $"cut short after record {records.Count - 1}: {torn}");
        }

        if (records[^1].Kind != RecordKind.End)
        {
            throw new MongoDataDirectoryException(path, $"cut short: it ends after record {records.Count - 1} without its end record");
        }

        try
        {
            var header = records[0].Decode();
            if (header.GetValue("format", BsonNull.Value) != Format || header.GetValue("version", BsonNull.Value) != Version)
            {
                throw new MongoDataDirectoryException(path, $"not a version-{Version} emulator checkpoint: {header}");
            }

            var counted = records[^1].Decode()["records"].ToInt64();
            if (counted != records.Count - 1)
            {
                throw new MongoDataDirectoryException(path, $"its end record counts {counted} records, the file has {records.Count - 1}");
            }

            var applied = header["appliedOpTime"].AsBsonDocument;
            return new CheckpointImage(
                path,
                header["generation"].ToInt64(),
                header["checkpointId"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard),
                header["setName"].AsString,
                new OpTime(applied["ts"].AsBsonTimestamp, applied["t"].ToInt64(), header["appliedWall"].ToUniversalTime()),
                header["term"].ToInt64(),
                header["oplogMaxBytes"].ToInt64(),
                records.Skip(1).Take(records.Count - 2).ToList());
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidCastException or FormatException)
        {
            throw new MongoDataDirectoryException(path, $"its header or end record is malformed: {e.Message}", e);
        }
    }

    /// <summary>Turns a checked checkpoint into collections and oplog entries.</summary>
    public static (StorageEngine Storage, List<OplogEntry> Oplog) Materialize(CheckpointImage image)
    {
        var storage = new StorageEngine();
        var oplog = new List<OplogEntry>();
        CollectionState? current = null;
        foreach (var record in image.Body)
        {
            try
            {
                switch (record.Kind)
                {
                    case RecordKind.Collection:
                        var entry = record.Decode();
                        var database = entry["db"].AsString;
                        var name = entry["name"].AsString;
                        if (storage.Find(database, name) is not null)
                        {
                            throw new InvalidDataException($"collection {database}.{name} appears twice");
                        }

                        current = storage.Add(database, name, entry["options"].AsBsonDocument, entry["uuid"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard));
                        current.Indexes.Clear();
                        current.Indexes.AddRange(entry["indexes"].AsBsonArray.Select(i => i.AsBsonDocument));
                        break;
                    case RecordKind.Document:
                        var document = record.Decode();
                        if (current is null || !current.TryInsert(document))
                        {
                            throw new InvalidDataException(current is null ? "a document before any collection" : $"a second document with _id {document.GetValue("_id", BsonNull.Value)} in {current.Namespace}");
                        }

                        break;
                    case RecordKind.OplogEntry:
                        var oplogEntry = record.Decode();
                        var ts = oplogEntry["ts"].AsBsonTimestamp;
                        if (oplog.Count > 0 && oplog[^1].Position >= ts.Value)
                        {
                            throw new InvalidDataException($"oplog entry {ts} is not after {oplog[^1].Ts}");
                        }

                        oplog.Add(new OplogEntry(ts.Value, record.Buffer.AsSpan(record.Offset, record.Length).ToArray()));
                        break;
                    default:
                        throw new InvalidDataException($"a '{(char)record.Kind}' record has no place in a checkpoint");
                }
            }
            catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or InvalidCastException or FormatException or ArgumentException)
            {
                throw new MongoDataDirectoryException(image.Path, $"record {record.Index} at offset {record.Position}: {e.Message}", e);
            }
        }

        return (storage, oplog);
    }
}
