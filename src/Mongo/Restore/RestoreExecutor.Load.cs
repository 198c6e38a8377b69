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

    // mongo's src/mongo/base/error_codes.yml.
    private const int NamespaceExists = 48;
    private const int DuplicateKey = 11000;

    /// <summary>
    /// Creates each collection with its options, loads its documents and builds its indexes (several collections at
    /// once), and records it in the marker as loaded whole. Resumed, it keeps the collections the marker names and
    /// loads the others again from the start: one stopped part way is dropped first.
    /// </summary>
    private async Task<long> LoadCollectionsAsync(BackupManifest backup, Archiver.Storage.Layout.RepositoryLayout backupLayout, NamespaceRules rules, ProgressTracker tracker, BsonDocument? marker, CancellationToken cancellationToken)
    {
        tracker.Report(RestorePhase.LoadingCollections);
        var loaded = marker?.GetValue("loaded", new BsonArray()).AsBsonArray.Select(v => v.AsString).ToHashSet(StringComparer.Ordinal) ?? [];
        if (marker?.GetValue("loadDone", false).ToBoolean() == true)
        {
            tracker.AddBytes(backup.Files.Sum(f => f.StoredSize));
            return loaded.Count;
        }

        var reader = new FullBackupReader(store, backupLayout);
        var count = 0L;
        await Parallel.ForEachAsync(
            backup.Files,
            new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
            async (file, token) =>
            {
                if (loaded.Contains(file.Name))
                {
                    Interlocked.Increment(ref count);
                    tracker.AddBytes(file.StoredSize);
                    return;
                }

                await using var stream = await reader.OpenFileAsync(backup, file.Name, token);
                var header = await ReadDocumentAsync(stream, token) ?? throw new InvalidDataException($"Backup file {file.Name} has no header.");
                if (header.GetValue("type", "collection").AsString is UsersAndRolesDump.UsersType or UsersAndRolesDump.RolesType)
                {
                    await LoadUsersAndRolesAsync(file.Name, header, stream, rules, token);
                    tracker.AddBytes(file.StoredSize);
                    return;
                }

                var db = header["db"].AsString;
                var name = header["collection"].AsString;
                if (rules.SkipCollection(db, name))
                {
                    tracker.AddBytes(file.StoredSize);
                    return;
                }

                var targetDb = rules.MapDatabase(db);

                // A view's options are its definition (viewOn, pipeline): the same create makes it, and it has no documents.
                // A time-series collection's (timeseries, expireAfterSeconds) make its view and buckets; see TimeSeriesLoad.
                var create = new BsonDocument("create", name).AddRange(header["options"].AsBsonDocument);
                if (marker is null)
                {
                    await CreateAsync(targetDb, header, create, token);
                }
                else
                {
                    // Perhaps loaded in part before the stop: the documents are loaded again from the first.
                    await CreateAgainAsync(targetDb, name, header, create, token);
                }

                var (documents, validate) = TimeSeriesLoad.DocumentsOf(header);
                var rename = rules.RewritesShards($"{db}.{name}") ? rules.RenameShards : (Func<BsonDocument, BsonDocument>?)null;
                await LoadDocumentsAsync(stream, target.GetDatabase(targetDb).GetCollection<RawBsonDocument>(documents), tracker, validate, resumed: marker is not null, token, rename);
                var specs = header["indexes"].AsBsonArray;
                if (specs.Count > 0)
                {
                    var clean = new BsonArray(specs.Select(s => { var spec = s.AsBsonDocument.DeepClone().AsBsonDocument; spec.Remove("ns"); return spec; }));
                    await RunCommandAsync(targetDb, new BsonDocument { { "createIndexes", name }, { "indexes", clean } }, token);
                }

                await RestoreMarker.LoadedAsync(target, _options.RestoreId, file.Name, token);
                Interlocked.Increment(ref count);
                tracker.AddBytes(file.StoredSize);
                tracker.Report();
            });

        await RestoreMarker.LoadDoneAsync(target, _options.RestoreId, cancellationToken);
        return count;
    }

    /// <summary>
    /// A collection a stopped run began to load, made again empty with its options. What the stopped run sent before it
    /// stopped may still land after the drop (an insert already on the wire runs to its end on the server, and makes the
    /// collection again without its options), so a create that finds the collection there drops it and tries again.
    /// </summary>
    private async Task CreateAgainAsync(string database, string collection, BsonDocument header, BsonDocument create, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await DropIfThereAsync(database, collection, cancellationToken);
            try
            {
                await CreateAsync(database, header, create, cancellationToken);
                return;
            }
            catch (MongoCommandException e) when (e.Code == NamespaceExists && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Creates a collection from its header: with the UUID it had (<see cref="RestoreOptions.PreserveCollectionUuids"/>, a
    /// plain collection whose header names one) through an applyOps <c>create</c> with <c>ui</c>, as
    /// <c>mongorestore --preserveUUID</c> does (it needs the restore role's <c>forceUUID</c>, which <c>root</c> has);
    /// otherwise with the <c>create</c> command, and the server gives it a new one.
    /// </summary>
    private Task CreateAsync(string database, BsonDocument header, BsonDocument create, CancellationToken cancellationToken)
    {
        if (_options.PreserveCollectionUuids && !header.Contains("type") && header.GetValue("uuid", null) is BsonBinaryData { SubType: BsonBinarySubType.UuidStandard } uuid)
        {
            var op = new BsonDocument { { "op", "c" }, { "ns", $"{database}.$cmd" }, { "ui", uuid }, { "o", create } };
            return RunCommandAsync("admin", new BsonDocument("applyOps", new BsonArray { op }), cancellationToken);
        }

        return RunCommandAsync(database, create, cancellationToken);
    }

    private async Task DropIfThereAsync(string database, string collection, CancellationToken cancellationToken)
    {
        try
        {
            await RunCommandAsync(database, new BsonDocument("drop", collection), cancellationToken);
        }
        catch (MongoCommandException e) when (e.Code == 26)
        {
            // Not made before the stop (MongoDB before 7.0 says NamespaceNotFound; 7.0 and later say nothing).
        }
    }

    /// <param name="resumed">
    /// The load of a stopped run taken up: an insert the stopped run sent may land after this one's, so a document already
    /// there is the same document from the same backup file, and its duplicate key is no error (as mongorestore goes on
    /// past duplicate keys).
    /// </param>
    /// <param name="rename">Rewrites each document before it is inserted (a sharded catalog's shard names), or null.</param>
    private async Task LoadDocumentsAsync(Stream stream, IMongoCollection<RawBsonDocument> collection, ProgressTracker tracker, bool validate, bool resumed, CancellationToken cancellationToken, Func<BsonDocument, BsonDocument>? rename = null)
    {
        var batch = new List<RawBsonDocument>(_options.BatchSize);
        var bytes = 0;
        while (await ReadRawAsync(stream, cancellationToken) is { } read)
        {
            var document = rename is null ? read : rename(BsonSerializer.Deserialize<BsonDocument>(read)).ToBson();
            batch.Add(new RawBsonDocument(document));
            bytes += document.Length;
            if (batch.Count >= _options.BatchSize || bytes >= MaxBatchBytes)
            {
                await InsertAsync(collection, batch, tracker, validate, resumed, cancellationToken);
                bytes = 0;
            }
        }

        await InsertAsync(collection, batch, tracker, validate, resumed, cancellationToken);
    }

    private static async Task InsertAsync(IMongoCollection<RawBsonDocument> collection, List<RawBsonDocument> batch, ProgressTracker tracker, bool validate, bool resumed, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            // Unordered once resumed: every document not there yet goes in, whichever are there already.
            await collection.InsertManyAsync(batch, new InsertManyOptions { IsOrdered = !resumed, BypassDocumentValidation = validate ? null : true }, cancellationToken);
        }
        catch (MongoBulkWriteException e) when (resumed && e.WriteConcernError is null && e.WriteErrors.Count > 0 && e.WriteErrors.All(w => w.Code == DuplicateKey))
        {
            // Inserted by the stopped run: the same documents.
        }

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
