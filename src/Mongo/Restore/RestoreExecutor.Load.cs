using System.Buffers.Binary;
using Archiver.Mongo.Backup;
using Archiver.Storage.FullBackups;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    private const int MaxBatchBytes = 8 << 20;

    /// <summary>Creates each collection with its options and loads its documents (several collections at once), then builds the indexes.</summary>
    private async Task<long> LoadCollectionsAsync(BackupManifest backup, Archiver.Storage.Layout.RepositoryLayout backupLayout, NamespaceRules rules, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        tracker.Report(RestorePhase.LoadingCollections);
        var reader = new FullBackupReader(store, backupLayout);
        var indexes = new System.Collections.Concurrent.ConcurrentBag<(string Db, string Collection, BsonArray Specs)>();
        await Parallel.ForEachAsync(
            backup.Files,
            new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
            async (file, token) =>
            {
                await using var stream = await reader.OpenFileAsync(backup, file.Name, token);
                var header = await ReadDocumentAsync(stream, token) ?? throw new InvalidDataException($"Backup file {file.Name} has no header.");
                var db = header["db"].AsString;
                var name = header["collection"].AsString;
                if (rules.SkipCollection(db, name))
                {
                    tracker.AddBytes(file.StoredSize);
                    return;
                }

                if (header.GetValue("type", "collection") == DumpFormat.TimeSeriesType)
                {
                    rules.LeaveOutTimeSeries(db, name);
                    tracker.AddBytes(file.StoredSize);
                    return;
                }

                var targetDb = rules.MapDatabase(db);
                // A view's options are its definition (viewOn, pipeline): the same create makes it, and it has no documents.
                var create = new BsonDocument("create", name).AddRange(header["options"].AsBsonDocument);
                await RunCommandAsync(targetDb, create, token);
                await LoadDocumentsAsync(stream, target.GetDatabase(targetDb).GetCollection<RawBsonDocument>(name), tracker, token);
                indexes.Add((targetDb, name, header["indexes"].AsBsonArray));
                tracker.AddBytes(file.StoredSize);
                tracker.Report();
            });

        tracker.Report(RestorePhase.BuildingIndexes);
        foreach (var (db, collection, specs) in indexes.Where(i => i.Specs.Count > 0))
        {
            var clean = new BsonArray(specs.Select(s => { var spec = s.AsBsonDocument.DeepClone().AsBsonDocument; spec.Remove("ns"); return spec; }));
            await RunCommandAsync(db, new BsonDocument { { "createIndexes", collection }, { "indexes", clean } }, cancellationToken);
        }

        return indexes.Count;
    }

    private async Task LoadDocumentsAsync(Stream stream, IMongoCollection<RawBsonDocument> collection, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        var batch = new List<RawBsonDocument>(_options.BatchSize);
        var bytes = 0;
        while (await ReadRawAsync(stream, cancellationToken) is { } document)
        {
            batch.Add(new RawBsonDocument(document));
            bytes += document.Length;
            if (batch.Count >= _options.BatchSize || bytes >= MaxBatchBytes)
            {
                await InsertAsync(collection, batch, tracker, cancellationToken);
                bytes = 0;
            }
        }

        await InsertAsync(collection, batch, tracker, cancellationToken);
    }

    private static async Task InsertAsync(IMongoCollection<RawBsonDocument> collection, List<RawBsonDocument> batch, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        await collection.InsertManyAsync(batch, new InsertManyOptions { IsOrdered = true, BypassDocumentValidation = true }, cancellationToken);
        tracker.AddDocuments(batch.Count);
        foreach (var document in batch)
        {
            document.Dispose();
        }

        batch.Clear();
    }

    private static async Task<BsonDocument?> ReadDocumentAsync(Stream stream, CancellationToken cancellationToken) =>
        await ReadRawAsync(stream, cancellationToken) is { } bytes ? BsonSerializer.Deserialize<BsonDocument>(bytes) : null;

    /// <summary>The next BSON document's bytes, or null at the end of the file.</summary>
    private static async Task<byte[]?> ReadRawAsync(Stream stream, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        var read = await stream.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        var length = read == 4 ? BinaryPrimitives.ReadInt32LittleEndian(prefix) : -1;
        if (length < 5)
        {
            throw new InvalidDataException("A backup file ends inside a document or holds a bad BSON length.");
        }

        var document = new byte[length];
        prefix.CopyTo(document, 0);
        await stream.ReadExactlyAsync(document.AsMemory(4), cancellationToken);
        return document;
    }
}
