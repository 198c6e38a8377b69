namespace Archiver.Storage.Oplog;

/// <summary>
/// Memory a reader or writer reuses from chunk to chunk: the decompressed content and entry index, or the
/// encoded object. Working in fresh memory costs more in page faults than zstd itself, so a replay or a writer
/// keeps one of these; what was decoded or encoded into it is valid only until its next use.
/// </summary>
public sealed class ChunkBuffers
{
    private byte[] _content = [];
    private OplogEntry[] _entries = [];
    private byte[] _output = [];

    internal byte[] Output(int length)
    {
        if (_output.Length < length)
        {
            _output = new byte[length];
        }

        return _output;
    }

    internal byte[] Content(long length)
    {
        if (_content.Length < length)
        {
            // Not zeroed: a chunk is decompressed over exactly the length it is read at (the decoder checks the
            // size written) before anything reads it; clearing it first would be one more pass over memory zstd is
            // about to fill.
            _content = GC.AllocateUninitializedArray<byte>(checked((int)length));
        }

        return _content;
    }

    internal OplogEntry[] Entries(int count)
    {
        if (_entries.Length < count)
        {
            _entries = new OplogEntry[count];
        }

        return _entries;
    }
}
