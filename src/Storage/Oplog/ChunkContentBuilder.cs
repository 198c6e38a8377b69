using System.Buffers.Binary;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Accumulates entries straight into the chunk's content layout: the BSON documents back to back, exactly as
/// read, then an index of each entry's <c>ts</c>, <c>wall</c> and length as small varints. Keeping the index apart
/// and tiny (about 4 bytes an entry) means the compressed content is barely larger than the documents themselves.
/// Reused across chunks to keep the write path allocation-free.
/// </summary>
public sealed class ChunkContentBuilder
{
    private byte[] _documents;
    private byte[] _index = new byte[4096];
    private int _indexLength;

    public ChunkContentBuilder(int initialCapacity = 1 << 20) => _documents = new byte[Math.Max(initialCapacity, 64)];

    public int Count { get; private set; }

    /// <summary>Bytes of documents so far; the index follows them in the content.</summary>
    public int DocumentsLength { get; private set; }

    public int Length => DocumentsLength + _indexLength;

    public OplogTimestamp First { get; private set; }

    public OplogTimestamp Last { get; private set; }

    public long FirstWallUnixMs { get; private set; }

    public long LastWallUnixMs { get; private set; }

    /// <summary>The whole content (documents, then index) as one span, ready to compress.</summary>
    public ReadOnlySpan<byte> Content
    {
        get
        {
            EnsureCapacity(ref _documents, Length);
            _index.AsSpan(0, _indexLength).CopyTo(_documents.AsSpan(DocumentsLength));
            return _documents.AsSpan(0, Length);
        }
    }

    /// <summary>Adds an entry; entries must come in strictly increasing <c>ts</c> order.</summary>
    public void Append(in OplogEntry entry)
    {
        if (Count > 0 && entry.Ts <= Last)
        {
            throw new ArgumentException($"Entry ts {entry.Ts} is not after the previous entry's {Last}.", nameof(entry));
        }

        // The document's own BSON length prefix frames it in the chunk, so it has to be right.
        var document = entry.Document.Span;
        if (document.Length < 5 || BinaryPrimitives.ReadInt32LittleEndian(document) != document.Length)
        {
            throw new ArgumentException($"Entry {entry.Ts} is not one whole BSON document (its length prefix disagrees with its size).", nameof(entry));
        }

        EnsureCapacity(ref _documents, DocumentsLength + document.Length);
        document.CopyTo(_documents.AsSpan(DocumentsLength));
        DocumentsLength += document.Length;

        EnsureCapacity(ref _index, _indexLength + ChunkIndex.MaxEntryLength);
        var previousTs = Count == 0 ? default : Last;
        var previousWall = Count == 0 ? 0 : LastWallUnixMs;
        _indexLength += ChunkIndex.Write(_index.AsSpan(_indexLength), previousTs, previousWall, entry.Ts, entry.WallUnixMs, document.Length);
        if (Count == 0)
        {
            First = entry.Ts;
            FirstWallUnixMs = entry.WallUnixMs;
        }

        Last = entry.Ts;
        LastWallUnixMs = entry.WallUnixMs;
        Count++;
    }

    public void Clear()
    {
        Count = 0;
        DocumentsLength = 0;
        _indexLength = 0;
    }

    private static void EnsureCapacity(ref byte[] buffer, int needed)
    {
        if (needed > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(needed, buffer.Length * 2));
        }
    }
}
