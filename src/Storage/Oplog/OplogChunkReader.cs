using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Reads chunks back, verifying the checksum and that the header agrees with the object's name (a renamed or
/// misplaced chunk would otherwise poison the catalog). Not thread-safe: it reuses one decompressor. With
/// <c>reuseBuffers</c> it also reuses its content buffers: the entries of a chunk are then valid only until the
/// next read or until it is disposed (copy a document to keep it), which is what makes a replay run at zstd speed.
/// </summary>
public sealed class OplogChunkReader(IObjectStore store, bool reuseBuffers = false) : IDisposable
{
    private readonly Decompressor _decompressor = new();
    private readonly ChunkBuffers _buffers = new();

    public async Task<OplogChunk> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var length = 0;
        byte[] download;
        await using (var stream = await store.GetAsync(key, cancellationToken))
        {
            // Sized once from the object's length where the backend knows it, instead of grown up to it.
            download = _buffers.Download(stream.CanSeek ? (int)Math.Min(stream.Length + 1, Array.MaxLength) : 1 << 20);
            int read;
            while ((read = await stream.ReadAsync(download.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
                if (length == download.Length)
                {
                    if (length >= Array.MaxLength / 2)
                    {
                        throw new CorruptObjectException(key, "it is larger than any chunk can be");
                    }

                    download = _buffers.Download(length * 2, keep: length);
                }
            }
        }

        var bytes = download.AsSpan(0, length);
        var chunk = OplogChunkFormat.Decode(key, bytes, _decompressor, reuseBuffers ? _buffers : null);
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
        _buffers.Dispose();
    }
}
