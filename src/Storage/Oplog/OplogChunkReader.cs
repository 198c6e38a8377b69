using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Reads chunks back, verifying the checksum and that the header agrees with the object's name (a renamed or
/// misplaced chunk would otherwise poison the catalog). Not thread-safe: it reuses one decompressor. With
/// <c>reuseBuffers</c> it also reuses its download and content buffers: the entries of a chunk are then valid
/// only until the next read (copy a document to keep it), which is what makes a replay run at zstd speed.
/// </summary>
public sealed class OplogChunkReader(IObjectStore store, bool reuseBuffers = false) : IDisposable
{
    private readonly Decompressor _decompressor = new();
    private readonly MemoryStream _download = new();
    private readonly ChunkBuffers? _buffers = reuseBuffers ? new ChunkBuffers() : null;

    public async Task<OplogChunk> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        _download.SetLength(0);
        await using (var stream = await store.GetAsync(key, cancellationToken))
        {
            if (stream.CanSeek && stream.Length > _download.Capacity && stream.Length <= int.MaxValue)
            {
                // Sized once instead of doubled up to it: each doubling is a fresh buffer to fault in and copy.
                _download.Capacity = (int)stream.Length;
            }

            await stream.CopyToAsync(_download, cancellationToken);
        }

        var bytes = _download.GetBuffer().AsSpan(0, (int)_download.Length);
        var chunk = OplogChunkFormat.Decode(key, bytes, _decompressor, _buffers);
        var name = key[(key.LastIndexOf('/') + 1)..];
        var header = chunk.Header;
        if (!ChunkName.TryParse(name, bytes.Length, out var range)
            || range.First != header.First
            || range.Last != header.Last
            || range.Previous != header.Previous
            || range.EntryCount != header.EntryCount
            || !key.Contains($"/{header.Component}/{RepositoryLayout.FormatTimeline(header.Timeline)}/", StringComparison.Ordinal))
        {
            throw new CorruptObjectException(key, "its header does not match its name");
        }

        return chunk;
    }

    public void Dispose()
    {
        _decompressor.Dispose();
        _download.Dispose();
    }
}
