using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Reads chunks back, verifying the checksum and that the header agrees with the object's name (a renamed or
/// misplaced chunk would otherwise poison the catalog). Not thread-safe: it reuses one decompressor.
/// </summary>
public sealed class OplogChunkReader(IObjectStore store) : IDisposable
{
    private readonly Decompressor _decompressor = new();

    public async Task<OplogChunk> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var bytes = await store.GetBytesAsync(key, cancellationToken);
        var chunk = OplogChunkFormat.Decode(key, bytes, _decompressor);
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

    public void Dispose() => _decompressor.Dispose();
}
