namespace Archiver.Storage.Backends;

/// <summary>
/// A local, bounded copy of objects read once so that a second reader does not download them again. A restore reads
/// every chunk it will replay first to check it (before any oplog write, see <c>RestoreExecutor.Verify.cs</c>) and
/// then again to replay it: through <see cref="Filling"/> the check keeps each object it read whole in a local file
/// while there is room, and through <see cref="Draining"/> the replay takes that copy (once: the file goes as it is
/// read) or, for an object not kept, reads it from the storage as before. WAL-G's restore prefetches WAL into a local
/// folder in the same spirit (<c>wal-prefetch</c>, https://github.com/wal-g/wal-g/blob/master/docs/PostgreSQL.md).
/// A local copy is no less checked than a download: the replay's reader verifies every chunk's CRC whichever it reads.
/// Failing to write the copy (the disk full) only means the object is read from the storage again.
/// </summary>
public sealed class ObjectSpool : IDisposable
{
    private readonly IObjectStore _store;
    private readonly string _folder;
    private readonly long _capacity;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Path, long Bytes)> _kept = new(StringComparer.Ordinal);
    private long _used;
    private int _next;
    private long _served;

    /// <param name="store">Where the objects are.</param>
    /// <param name="parent">The folder to make the spool's own folder in (deleted with it on <see cref="Dispose"/>).</param>
    /// <param name="capacityBytes">At most this many bytes kept at once; 0 keeps nothing (every read goes to the storage).</param>
    public ObjectSpool(IObjectStore store, string parent, long capacityBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(parent);
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _store = store;
        _capacity = capacityBytes;
        _folder = Path.Combine(parent, "archiver-spool-" + Guid.NewGuid().ToString("N"));
        Filling = new FillingView(this);
        Draining = new DrainingView(this);
    }

    /// <summary>Reads through to the storage, keeping a local copy of each object read to its end while there is room.</summary>
    public IObjectStore Filling { get; }

    /// <summary>Serves a kept copy once, else reads from the storage.</summary>
    public IObjectStore Draining { get; }

    /// <summary>Bytes kept right now.</summary>
    public long KeptBytes
    {
        get
        {
            lock (_lock) return _used;
        }
    }

    /// <summary>How many reads <see cref="Draining"/> served from a kept copy instead of the storage.</summary>
    public long ServedLocally => Interlocked.Read(ref _served);

    public void Dispose()
    {
        lock (_lock)
        {
            _kept.Clear();
            _used = 0;
        }

        try
        {
            if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A copy still open by a reader that was not disposed: the OS temp folder's cleaning takes it later.
        }
    }

    /// <summary>Room for <paramref name="bytes"/> more, reserved; false if the spool is full.</summary>
    private bool Reserve(long bytes)
    {
        lock (_lock)
        {
            if (_used + bytes > _capacity) return false;
            _used += bytes;
            return true;
        }
    }

    private void Release(long bytes)
    {
        lock (_lock) _used -= bytes;
    }

    private string NewPath()
    {
        Directory.CreateDirectory(_folder);
        return Path.Combine(_folder, Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private void Keep(string key, string path, long bytes)
    {
        lock (_lock)
        {
            if (_kept.Remove(key, out var older))
            {
                // Read whole twice while filling: the newer copy is as good, the older one's room goes back.
                _used -= older.Bytes;
                TryDelete(older.Path);
            }

            _kept[key] = (path, bytes);
        }
    }

    private (string Path, long Bytes)? Take(string key)
    {
        lock (_lock)
        {
            return _kept.Remove(key, out var kept) ? kept : null;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for Dispose.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for Dispose.
        }
    }

    /// <summary>The write operations of both views: a spool only reads.</summary>
    private abstract class View(ObjectSpool spool) : IObjectStore
    {
        protected ObjectSpool Spool { get; } = spool;

        public abstract Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default);

        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) => Spool._store.PutAsync(key, content, cancellationToken);

        public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) => Spool._store.PutIfAbsentAsync(key, content, cancellationToken);

        public Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default) =>
            Spool._store.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => Spool._store.DeleteAsync(key, cancellationToken);
    }

    private sealed class FillingView(ObjectSpool spool) : View(spool)
    {
        public override async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            var source = await Spool._store.GetAsync(key, cancellationToken);
            if (Spool._capacity == 0) return source;
            try
            {
                return new TeeStream(Spool, key, source, new FileStream(Spool.NewPath(), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.None));
            }
            catch (IOException)
            {
                return source;
            }
        }
    }

    private sealed class DrainingView(ObjectSpool spool) : View(spool)
    {
        public override async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            if (Spool.Take(key) is { } kept)
            {
                try
                {
                    var file = new FileStream(kept.Path, FileMode.Open, FileAccess.Read, FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose | FileOptions.SequentialScan);
                    Spool.Release(kept.Bytes);
                    Interlocked.Increment(ref Spool._served);
                    return file;
                }
                catch (IOException)
                {
                    Spool.Release(kept.Bytes);
                    TryDelete(kept.Path);
                }
            }

            return await Spool._store.GetAsync(key, cancellationToken);
        }
    }

    /// <summary>
    /// Hands the storage's bytes to the reader and writes them to the copy as they pass; the copy is kept only if the
    /// reader reached the end and room was reserved for every byte, else it is deleted on dispose.
    /// </summary>
    private sealed class TeeStream(ObjectSpool spool, string key, Stream source, FileStream copy) : Stream
    {
        private readonly long? _length = LengthOf(source);
        private FileStream? _copy = copy;
        private long _reserved;
        private bool _ended;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => source.Length;

        public override long Position
        {
            get => source.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = source.Read(buffer);
            Copy(buffer[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await source.ReadAsync(buffer, cancellationToken);
            Copy(buffer.Span[..read]);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                source.Dispose();
                if (_copy is { } file)
                {
                    var path = file.Name;
                    var keep = _ended && TryClose(file);
                    if (keep)
                    {
                        spool.Keep(key, path, _reserved);
                    }
                    else
                    {
                        if (!_ended) TryClose(file);
                        spool.Release(_reserved);
                        TryDelete(path);
                    }

                    _copy = null;
                }
            }

            base.Dispose(disposing);
        }

        private void Copy(ReadOnlySpan<byte> bytes)
        {
            if (_copy is not { } file) return;
            if (bytes.Length == 0)
            {
                _ended = true;
                return;
            }

            if (!spool.Reserve(bytes.Length))
            {
                Abandon(file);
                return;
            }

            _reserved += bytes.Length;
            try
            {
                file.Write(bytes);
            }
            catch (IOException)
            {
                Abandon(file);
                return;
            }

            // A reader that knows the size stops at its last byte without asking for more: that is the end too.
            _ended = _reserved == _length;
        }

        private static long? LengthOf(Stream stream)
        {
            try
            {
                return stream.Length;
            }
            catch (NotSupportedException)
            {
                return null;
            }
        }

        /// <summary>No room (or the disk refused): this object is not kept, and the room it had is given back now.</summary>
        private void Abandon(FileStream file)
        {
            TryClose(file);
            spool.Release(_reserved);
            _reserved = 0;
            TryDelete(file.Name);
            _copy = null;
        }

        private static bool TryClose(FileStream file)
        {
            try
            {
                file.Dispose();
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }
}
