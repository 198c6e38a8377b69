using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Host.Api;
using Archiver.Messages.Protocol;

namespace Archiver.Host.Node;

/// <summary>
/// The embedded store's write-ahead log, <c>&lt;data&gt;/resources.log</c>: one JSON line per change of a resource,
/// a namespace or the archiving set, written and handed to the operating system before the change is stored and
/// acknowledged (<see cref="IResourceJournal"/>, <see cref="IArchivingJournal"/>). <see cref="ResourceFile"/> replays
/// it over <c>resources.json</c> at start and folds it in from time to time.
/// <para>
/// Durability: each commit ends with <c>FileStream.Flush(flushToDisk: false)</c>, so the bytes are in the operating
/// system's page cache, which a killed process (SIGKILL, an OOM kill, a crash) cannot lose. Surviving a machine
/// crash or a power loss would need fsync (<c>flushToDisk: true</c>) on every commit, and on <c>resources.json</c>
/// and its folder at each compaction, at milliseconds per write. We chose not to: the embedded node is one machine
/// for demos and small sites, and in a cluster the API server (etcd) keeps the resources.
/// </para>
/// <para>
/// Concurrent writers share one write and flush (group commit): each appends its line to the pending batch, then
/// takes the file; the first in writes every pending line, and those whose line it carried return without writing.
/// A failed write breaks the log for good (every later change is refused until the node restarts and replays it):
/// writing on after a torn line would bury it in the middle of the log.
/// </para>
/// </summary>
public sealed class ResourceChangeLog(ResourceFileOptions options) : IResourceJournal, IArchivingJournal, IDisposable
{
    internal const string Op = "op";
    internal const string PutOp = "put";
    internal const string DeleteOp = "delete";
    internal const string NamespaceOp = "namespace";
    internal const string ArchivingOp = "archiving";

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    // Taken in this order only (batch inside file), and never with a store lock inside either: the store calls in
    // holding a kind's lock, so the log must not wait for one.
    private readonly Lock _fileGate = new();
    private readonly Lock _batchGate = new();
    private readonly SemaphoreSlim _full = new(0, 1);
    private ArrayBufferWriter<byte> _batch = new();
    private bool _open;
    private long _appended;
    private long _written;
    private FileStream? _file;
    private string? _path;
    private long _length;
    private volatile Exception? _broken;

    /// <summary>Bytes in the current log file.</summary>
    public long Length => Interlocked.Read(ref _length);

    public void Put(string kind, ResourceId id, string json, long resourceVersion) => Append(writer =>
    {
        writer.WriteString(Op, PutOp);
        writer.WriteString("kind", kind);
        writer.WriteString("id", id.ToString());
        writer.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
        writer.WritePropertyName("object");
        writer.WriteRawValue(json, skipInputValidation: true);
    });

    public void Delete(string kind, ResourceId id, string? resourceVersion) => Append(writer =>
    {
        writer.WriteString(Op, DeleteOp);
        writer.WriteString("kind", kind);
        writer.WriteString("id", id.ToString());
        writer.WriteString("resourceVersion", resourceVersion);
    });

    public void PutNamespace(NamespaceInfo ns) => Append(writer =>
    {
        writer.WriteString(Op, NamespaceOp);
        writer.WriteString("name", ns.Name);
        writer.WritePropertyName("labels");
        JsonSerializer.Serialize(writer, ns.Labels);
    });

    public void PutArchiving(ResourceId database, ArchivingSpec? spec) => Append(writer =>
    {
        writer.WriteString(Op, ArchivingOp);
        writer.WriteString("database", database.ToString());
        writer.WritePropertyName("spec");
        JsonSerializer.Serialize(writer, spec, ApiJson.Options);
    });

    /// <summary>
    /// The complete lines of a log file, in order (none if it does not exist). A last line without its newline was
    /// cut short by a kill mid-write, so it was never acknowledged: it is skipped. A damaged line before it is not
    /// skipped: that is not what a kill leaves, and replaying past it could resurrect what it changed.
    /// </summary>
    public static IEnumerable<JsonObject> Read(string path)
    {
        if (!File.Exists(path)) yield break;
        var bytes = File.ReadAllBytes(path);
        var start = 0;
        var number = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, NewLine[0], start);
            if (end < 0) yield break;
            number++;
            var line = bytes.AsMemory(start, end - start);
            start = end + 1;
            if (line.IsEmpty) continue;
            JsonObject parsed;
            try
            {
                parsed = JsonNode.Parse(line.Span)?.AsObject() ?? throw new JsonException("null");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}, line {number}: not a change ({e.Message}); the log is damaged", e);
            }

            yield return parsed;
        }
    }

    /// <summary>Starts logging to <paramref name="path"/>, emptied first (its changes must be in resources.json).</summary>
    public void Open(string path)
    {
        lock (_fileGate)
        {
            if (_file is not null) throw new InvalidOperationException($"the change log is open already ({_path})");
            _file = OpenFile(path, FileMode.Create);
            _path = path;
            Interlocked.Exchange(ref _length, 0);
            lock (_batchGate)
            {
                _open = true;
            }
        }
    }

    /// <summary>
    /// Moves the log written so far to <paramref name="rotatedPath"/> and goes on in a new, empty one, so a
    /// compaction can fold the old one into resources.json while changes keep coming. Lines waiting in the batch go
    /// to the new one: every line of the old one comes before them.
    /// </summary>
    public void Rotate(string rotatedPath)
    {
        lock (_fileGate)
        {
            var file = _file ?? throw new InvalidOperationException("the change log is not open");
            if (_broken is { } broken) throw new IOException($"{_path} is broken: {broken.Message}", broken);
            file.Dispose();
            _file = null;
            IOException? notMoved = null;
            try
            {
                File.Move(_path!, rotatedPath);
            }
            catch (IOException e)
            {
                notMoved = e;
            }

            try
            {
                // The new file if the move went through; the old one again, to append to, if not.
                _file = OpenFile(_path!, FileMode.Append);
                Interlocked.Exchange(ref _length, _file.Length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Break(e);
                throw Refused();
            }

            if (notMoved is not null) throw new IOException($"{_path} could not be moved to {rotatedPath}: {notMoved.Message}", notMoved);
        }
    }

    /// <summary>Completes once the log has passed <see cref="ResourceFileOptions.CompactAtBytes"/> (again).</summary>
    public Task WaitUntilFullAsync(CancellationToken cancellation) => _full.WaitAsync(cancellation);

    /// <summary>Writes what is waiting and closes the file: from now on every change is refused.</summary>
    public void Close()
    {
        lock (_fileGate)
        {
            lock (_batchGate)
            {
                _open = false;
            }

            if (_file is null) return;
            if (_broken is null) WriteBatch(_file);
            _file.Dispose();
            _file = null;
        }
    }

    public void Dispose()
    {
        Close();
        _full.Dispose();
    }

    private void Append(Action<Utf8JsonWriter> write)
    {
        var line = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(line))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        long mine;
        lock (_batchGate)
        {
            if (!_open) throw Refused();
            _batch.Write(line.WrittenSpan);
            _batch.Write(NewLine);
            mine = ++_appended;
        }

        lock (_fileGate)
        {
            // Another writer's commit carried this line.
            if (_written >= mine) return;
            if (_broken is not null || _file is null) throw Refused();
            WriteBatch(_file);
            if (Length >= options.CompactAtBytes && _full.CurrentCount == 0) _full.Release();
        }
    }

    /// <summary>Under the file's lock: writes every pending line and hands it to the operating system.</summary>
    private void WriteBatch(FileStream file)
    {
        ArrayBufferWriter<byte> batch;
        long upTo;
        lock (_batchGate)
        {
            (batch, _batch) = (_batch, new ArrayBufferWriter<byte>());
            upTo = _appended;
        }

        try
        {
            file.Write(batch.WrittenSpan);
            // To the OS, not to the disk: see the class comment.
            file.Flush(flushToDisk: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Break(e);
            throw Refused();
        }

        Interlocked.Add(ref _length, batch.WrittenCount);
        _written = upTo;
    }

    private void Break(Exception e)
    {
        _broken = e;
        lock (_batchGate)
        {
            _open = false;
        }
    }

    private IOException Refused() => _broken is { } broken
        ? new IOException($"{_path} could not be written ({broken.Message}): no change is accepted until the node restarts", broken)
        : new IOException("the change log is not open: the node is starting or has stopped, so no change is accepted");

    // No buffer of its own (the batch is the buffer), and readable by others (a backup, an inspecting user).
    private static FileStream OpenFile(string path, FileMode mode) => new(path, mode, FileAccess.Write, FileShare.Read, bufferSize: 0);
}
