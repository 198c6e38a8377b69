using System.Buffers.Binary;
using System.Net.Http.Headers;
using Google.Cloud.Storage.V1;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Archiver.Storage.Backends;

/// <summary>
/// The body of a GCS object, fetched a window (<see cref="GcsSettings.ChunkSizeBytes"/>) at a time by ranged GETs
/// pinned to the generation it opened (<c>ifGenerationMatch</c>): a replaced or deleted object fails the read rather
/// than splicing two versions. A window broken off mid-body is asked for again, up to the retry budget, so a reset
/// costs at most one window, never the whole object. The client's own hash check is off (it would compare a range with the whole object's CRC-32C, which
/// GCS sends with every range); this stream checks the whole object's CRC-32C itself when it reaches the end.
/// </summary>
internal sealed class GcsReadStream : ForwardOnlyReadStream
{
    private readonly GcsObjectStore _store;
    private readonly string _key;
    private readonly long _length;
    private readonly long _generation;
    private readonly uint? _expectedCrc;
    private readonly MemoryStream _window;
    private long _position;
    private uint _crc;

    public GcsReadStream(GcsObjectStore store, string key, GcsObject found)
    {
        _store = store;
        _key = key;
        _length = (long)(found.Size ?? 0);
        _generation = found.Generation ?? throw new StorageException($"GCS object '{key}' has no generation");
        _expectedCrc = found.Crc32c is { Length: > 0 } crc ? BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(crc)) : null;

        // Sized once for the largest window this object needs: grown by doubling, a 4 MiB window was copied 20 times over.
        _window = new MemoryStream((int)Math.Min(store.WindowBytes, _length));
    }

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position == _length) return 0;
        if (_window.Position == _window.Length)
        {
            var to = Math.Min(_position + _store.WindowBytes, _length) - 1;
            await _store.FetchRangeAsync(_key, _generation, _position, to, _window, cancellationToken);
            if (_window.Length != to - _position + 1)
            {
                throw new IOException($"GCS object '{_key}': asked for bytes {_position}-{to}, got {_window.Length}");
            }

            _window.Position = 0;
        }

        var n = _window.Read(buffer.Span);
        _crc = Crc32C.Append(_crc, buffer.Span[..n]);
        _position += n;
        if (_position == _length && _expectedCrc is { } expected && expected != _crc)
        {
            throw new CorruptObjectException(_key, $"CRC-32C {_crc:x8} of the bytes read is not GCS's {expected:x8}");
        }

        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _window.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The download options of one range of a pinned generation, the client's retries and hash check off.</summary>
    internal static DownloadObjectOptions Options(long generation, long from, long to, int chunkSize) => new()
    {
        Range = new RangeHeaderValue(from, to),
        IfGenerationMatch = generation,
        ChunkSize = chunkSize,
        DownloadValidationMode = DownloadValidationMode.Never,
    };
}
