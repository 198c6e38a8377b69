using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Gathers the entries of one component and timeline and publishes them as chunks. The caller decides when to
/// cut (time or size). A chunk is published in one atomic put, so a reader never sees part of one; if the process
/// dies before that, nothing was published and the caller resumes from <see cref="LastArchived"/>.
/// Not thread-safe: one writer per component.
/// </summary>
public sealed class OplogChunkWriter : IDisposable
{
    private readonly IObjectStore _store;
    private readonly RepositoryLayout _layout;
    private readonly ChunkWriterOptions _options;
    private readonly ChunkContentBuilder _content = new();
    private readonly ChunkBuffers _buffers = new();
    private readonly Compressor? _compressor;

    /// <summary>
    /// <c>previous</c> is the last <c>ts</c> already archived for this component (zero for a fresh history); it
    /// becomes the first chunk's proof of continuity.
    /// </summary>
    public OplogChunkWriter(
        IObjectStore store,
        RepositoryLayout layout,
        string component,
        uint timeline,
        OplogTimestamp previous,
        ChunkWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        RepositoryLayout.ValidateSegment(component, nameof(component));
        _store = store;
        _layout = layout;
        _options = options ?? new ChunkWriterOptions();
        Component = component;
        Timeline = timeline;
        LastArchived = previous;
        _compressor = _options.Codec == ChunkCodec.Zstd ? new Compressor(_options.CompressionLevel) : null;
    }

    public string Component { get; }

    public uint Timeline { get; }

    /// <summary>The newest <c>ts</c> that is safely published.</summary>
    public OplogTimestamp LastArchived { get; private set; }

    public int PendingEntries => _content.Count;

    public long PendingBytes => _content.Length;

    /// <summary>
    /// Adds an entry to the next chunk. Entries at or before what is already archived or pending are dropped
    /// (false): re-reading the oplog from the last saved <c>ts</c> after a restart is therefore harmless.
    /// </summary>
    public bool Append(in OplogEntry entry)
    {
        var newest = _content.Count > 0 ? _content.Last : LastArchived;
        if (entry.Ts <= newest)
        {
            return false;
        }

        _content.Append(entry);
        return true;
    }

    /// <summary>Publishes what is pending as one chunk; null if nothing was pending.</summary>
    public async Task<ChunkDescriptor?> PublishAsync(CancellationToken cancellationToken = default)
    {
        if (_content.Count == 0)
        {
            return null;
        }

        var bytes = OplogChunkFormat.Encode(Component, Timeline, LastArchived, _content, _options.Codec, _compressor, _buffers);
        var range = new ChunkRange(
            _content.First, _content.Last, LastArchived, _content.FirstWallUnixMs, _content.LastWallUnixMs, _content.Count, bytes.Count);
        var key = _layout.ChunkKey(Component, Timeline, range);
        using (var stream = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false))
        {
            await _store.PutAsync(key, stream, cancellationToken);
        }

        LastArchived = _content.Last;
        _content.Clear();
        return new ChunkDescriptor(key, Component, Timeline, range);
    }

    public void Dispose()
    {
        _compressor?.Dispose();
        _buffers.Dispose();
    }
}
