using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// A journal: what a member applied since its checkpoint, one record per oplog entry (and per write to <c>local</c>, and
/// per change of the oplog's cap), appended as each is applied. Its header names the checkpoint it follows: a checkpoint
/// makes the journal before it unneeded, as WiredTiger removes the log files older than its last checkpoint
/// (<c>wiredtiger_open</c>'s <c>log=(remove=true)</c>), and recovery replays only what follows the checkpoint. Records reach the operating system with each write (the stream is unbuffered), so a copy of the
/// folder taken between writes holds them all; they are fsynced only at checkpoints, as mongod syncs its journal on
/// an interval (<c>storage.journal.commitIntervalMs</c>, 100 ms) rather than per write by default.
/// </summary>
internal sealed class JournalFile : IDisposable
{
    public const string Format = "archiver-mongo-emulator-journal";

    public const int Version = 1;

    private readonly FileStream _stream;

    private JournalFile(FileStream stream) => _stream = stream;

    /// <summary>Starts a journal that follows checkpoint <paramref name="generation"/>/<paramref name="id"/>: its header is durable when this returns.</summary>
    public static JournalFile Create(string path, long generation, Guid id)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        try
        {
            var header = new BsonDocument
            {
                { "format", Format },
                { "version", Version },
                { "follows", new BsonDocument { { "generation", generation }, { "checkpointId", new BsonBinaryData(id, GuidRepresentation.Standard) } } },
            };
            stream.Write(RecordFile.Frame(RecordKind.Header, header.ToBson()));
            stream.Flush(flushToDisk: true);
            return new JournalFile(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Appends one framed record with one write.</summary>
    public void Append(byte[] frame) => _stream.Write(frame);

    public void Dispose() => _stream.Dispose();

    /// <summary>Reads a journal; a torn tail is dropped (as WiredTiger's recovery stops at the first incomplete log record), anything else wrong throws.</summary>
    public static JournalImage Read(string path)
    {
        var scan = RecordFile.Read(path, File.ReadAllBytes(path));
        if (scan.Records.Count == 0 || scan.Records[0].Kind != RecordKind.Header)
        {
            throw new MongoDataDirectoryException(path, scan.TornTail is { } why ? $"its header is incomplete ({why})" : "it does not start with a journal header");
        }

        try
        {
            var header = scan.Records[0].Decode();
            if (header.GetValue("format", BsonNull.Value) != Format || header.GetValue("version", BsonNull.Value) != Version)
            {
                throw new MongoDataDirectoryException(path, $"not a version-{Version} emulator journal: {header}");
            }

            var follows = header["follows"].AsBsonDocument;
            return new JournalImage(
                path,
                follows["generation"].ToInt64(),
                follows["checkpointId"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard),
                scan.Records.Skip(1).ToList(),
                scan.TornTail);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidCastException or FormatException)
        {
            throw new MongoDataDirectoryException(path, $"its header is malformed: {e.Message}", e);
        }
    }
}
