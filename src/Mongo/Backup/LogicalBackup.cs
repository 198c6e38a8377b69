using System.Buffers;
using System.IO.Pipelines;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Backup;

/// <summary>
/// A logical full backup taken without stopping writes: note T0 (the newest oplog entry), dump every collection
/// (options, indexes, documents; several at once, each streamed through a pipe so no collection is ever held in
/// memory), note T1 and wait until it is majority-committed. The dump reflects every write at or before T0 and
/// some after it; replaying the oplog (T0, T1] on it (idempotent, as mongorestore --oplogReplay relies on) makes
/// it consistent at T1. The manifest records both (<c>ReplayFrom</c> = T0, <c>ConsistentAt</c> = T1).
/// </summary>
public sealed class LogicalBackup(IMongoClient client, IObjectStore store, RepositoryLayout layout, LogicalBackupOptions options)
{
    public async Task<BackupManifest> RunAsync(CancellationToken cancellationToken = default)
    {
        var startedAt = options.Time.GetUtcNow();
        var writer = new FullBackupWriter(store, layout, new BackupStart(DumpFormat.Driver, [options.Component], options.Timeline, startedAt));
        try
        {
            var (t0, t1, wall1) = await DumpAsync(writer, cancellationToken);
            await WaitForMajorityAsync(t1, cancellationToken);
            return await writer.CompleteAsync(t0, t1, wall1, options.Time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await writer.FailAsync(e.Message, options.Time.GetUtcNow(), CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Dumps this replica set into <paramref name="writer"/> as <see cref="LogicalBackupOptions.Component"/> (also one
    /// component of a sharded cluster's backup, whose writer the caller owns): T0 noted before, then every collection,
    /// then the newest entry after (T1, with its wall time). The caller waits for T1 and completes the backup.
    /// </summary>
    public async Task<(OplogTimestamp T0, OplogTimestamp T1, long Wall1)> DumpAsync(FullBackupWriter writer, CancellationToken cancellationToken)
    {
        var (t0, _) = await NewestEntryAsync(cancellationToken);
        var collections = await ListCollectionsAsync(cancellationToken);
        await Parallel.ForEachAsync(
            collections.Select((c, i) => (c.Db, c.Info, Index: i)),
            new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
            async (c, token) => await DumpCollectionAsync(writer, c.Db, c.Info, c.Index, token));
        if (options.UsersAndRoles)
        {
            await UsersAndRolesDump.WriteAsync(client, writer, options, collections.Count, cancellationToken);
        }

        var (t1, wall1) = await NewestEntryAsync(cancellationToken);
        return (t0, t1, wall1);
    }

    private async Task<List<(string Db, BsonDocument Info)>> ListCollectionsAsync(CancellationToken cancellationToken)
    {
        var result = new List<(string, BsonDocument)>();
        using var databases = await client.ListDatabaseNamesAsync(cancellationToken);
        foreach (var db in (await databases.ToListAsync(cancellationToken)).Where(d => d != "local" && options.IncludeDatabase(d)))
        {
            using var cursor = await client.GetDatabase(db).ListCollectionsAsync(cancellationToken: cancellationToken);
            foreach (var info in await cursor.ToListAsync(cancellationToken))
            {
                var name = info["name"].AsString;
                // A time-series collection is dumped as its options and its buckets (in system.*, so not listed on their own).
                if (info.GetValue("type", "collection").AsString is "collection" or "view" or DumpFormat.TimeSeriesType && !DumpFormat.IsExcluded(db, name) && options.IncludeCollection(db, name))
                {
                    result.Add((db, info));
                }
            }
        }

        return result;
    }

    private async Task DumpCollectionAsync(FullBackupWriter writer, string db, BsonDocument info, int index, CancellationToken cancellationToken)
    {
        var name = info["name"].AsString;
        var type = info.GetValue("type", "collection").AsString;
        if (type is DumpFormat.ViewType)
        {
            // A view is its definition alone (viewOn, pipeline, collation): reading it would run its pipeline.
            var definition = DumpFormat.Header(db, name, info.GetValue("options", new BsonDocument()).AsBsonDocument, [], type);
            await using var content = new MemoryStream(definition.ToBson());
            await writer.AddFileAsync(options.FileNamePrefix + DumpFormat.FileName(index), options.Component, content, cancellationToken);
            return;
        }

        // A time-series collection's documents are its buckets, dumped as stored, as mongodump does; its indexes are
        // not recorded (the buckets' clustered _id is made by the create).
        var timeSeries = type == DumpFormat.TimeSeriesType;
        var collection = client.GetDatabase(db).GetCollection<RawBsonDocument>(timeSeries ? DumpFormat.BucketsOf(name) : name);
        var indexes = new BsonArray();
        using (var cursor = timeSeries ? null : await collection.Indexes.ListAsync(cancellationToken))
        {
            foreach (var spec in cursor is null ? new List<BsonDocument>() : await cursor.ToListAsync(cancellationToken))
            {
                if (spec["name"].AsString != "_id_")
                {
                    indexes.Add(spec);
                }
            }
        }

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var uuid = info.GetValue("info", null) is BsonDocument details ? details.GetValue("uuid", null) : null;
        var header = DumpFormat.Header(db, name, info.GetValue("options", new BsonDocument()).AsBsonDocument, indexes, timeSeries ? type : null, uuid);
        var produce = ProduceAsync(collection, header, pipe.Writer, cancellationToken);
        try
        {
            await using var stream = pipe.Reader.AsStream();
            await writer.AddFileAsync(options.FileNamePrefix + DumpFormat.FileName(index), options.Component, stream, cancellationToken);
        }
        finally
        {
            await pipe.Reader.CompleteAsync();
            await produce;
        }
    }

    private async Task ProduceAsync(IMongoCollection<RawBsonDocument> collection, BsonDocument header, PipeWriter output, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await output.WriteAsync(header.ToBson(), cancellationToken);
            var find = new FindOptions<RawBsonDocument> { BatchSize = options.BatchSize, Sort = new BsonDocument("_id", 1) };
            using var cursor = await collection.FindAsync(FilterDefinition<RawBsonDocument>.Empty, find, cancellationToken);
            var buffer = new byte[64 * 1024];
            while (await cursor.MoveNextAsync(cancellationToken))
            {
                foreach (var document in cursor.Current)
                {
                    var slice = document.Slice;
                    if (buffer.Length < slice.Length)
                    {
                        buffer = new byte[Math.Max(slice.Length, buffer.Length * 2)];
                    }

                    slice.GetBytes(0, buffer, 0, slice.Length);
                    output.Write(buffer.AsSpan(0, slice.Length));
                    document.Dispose();
                }

                var flushed = await output.FlushAsync(cancellationToken);
                if (flushed.IsCompleted)
                {
                    return;
                }
            }

            await output.CompleteAsync();
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e);
            throw;
        }
    }

    /// <summary>The <c>ts</c> of the newest entry in <paramref name="client"/>'s oplog.</summary>
    public static async Task<OplogTimestamp> NewestTimestampAsync(IMongoClient client, CancellationToken cancellationToken)
    {
        var newest = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty)
            .Sort(new BsonDocument("$natural", -1))
            .Limit(1)
            .FirstAsync(cancellationToken);
        return OplogFields.ToStorage(newest["ts"].AsBsonTimestamp);
    }

    private async Task<(OplogTimestamp Ts, long WallUnixMs)> NewestEntryAsync(CancellationToken cancellationToken)
    {
        var newest = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty)
            .Sort(new BsonDocument("$natural", -1))
            .Limit(1)
            .FirstAsync(cancellationToken);
        var ts = OplogFields.ToStorage(newest["ts"].AsBsonTimestamp);
        return (ts, newest.GetValue("wall", new BsonDateTime(ts.Seconds * 1000L)).AsBsonDateTime.MillisecondsSinceEpoch);
    }

    /// <summary>Waits until <paramref name="t1"/> is majority-committed on this replica set (a restore can only replay what the archiver took).</summary>
    public async Task WaitForMajorityAsync(OplogTimestamp t1, CancellationToken cancellationToken)
    {
        var deadline = options.Time.GetTimestamp();
        while ((await ReplicaSetPosition.ReadAsync(client, cancellationToken)).Majority < t1)
        {
            if (options.Time.GetElapsedTime(deadline) > options.MajorityWait)
            {
                throw new TimeoutException($"T1 {t1} was not majority-committed within {options.MajorityWait}.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
