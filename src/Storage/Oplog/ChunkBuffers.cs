using System.Buffers;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Memory a reader or writer reuses from chunk to chunk: the downloaded object, the decompressed content and entry
/// index, or the encoded object. Working in fresh memory costs more in page faults than zstd itself, so a replay
/// or a writer keeps one of these; what was decoded or encoded into it is valid only until its next use.
/// The arrays are rented from the shared pools and given back on <see cref="Dispose"/>: a node that restores,
/// verifies or compacts again soon after finds them already faulted in (a restore's read-ahead holds five sets,
/// about 85 MiB, that a fresh allocation would touch page by page), and the pool lets them go once unused. They are
/// cleared when given back.
/// </summary>
public sealed class ChunkBuffers : IDisposable
{
    private byte[] _download = [];
    private byte[] _content = [];
    private OplogEntry[] _entries = [];
    private byte[] _output = [];

    /// <summary>Room for an object being downloaded, keeping the first <paramref name="keep"/> bytes already in it.</summary>
    internal byte[] Download(int length, int keep = 0) => Grow(ref _download, length, keep);

    internal byte[] Output(int length) => Grow(ref _output, length, 0);

    internal byte[] Content(long length) =>
        // Not cleared: a chunk is decompressed over exactly the length it is read at (the decoder checks the size
        // written) before anything reads it.
        Grow(ref _content, checked((int)length), 0);

    internal OplogEntry[] Entries(int count) => Grow(ref _entries, count, 0);

    public void Dispose()
    {
        Return(ref _download);
        Return(ref _content);
        Return(ref _output);
        Return(ref _entries);
    }

    private static T[] Grow<T>(ref T[] buffer, int length, int keep)
    {
        if (buffer.Length < length)
        {
            var larger = ArrayPool<T>.Shared.Rent(length);
            buffer.AsSpan(0, keep).CopyTo(larger);
            Return(ref buffer);
            buffer = larger;
        }

        return buffer;
    }

    private static void Return<T>(ref T[] buffer)
    {
        if (buffer.Length > 0)
        {
            // Cleared: the shared pool serves the whole process (driver, HTTP), and these held a database's oplog,
            // decrypted; entries would also keep a returned chunk's content alive. Once per restore, not per chunk.
            ArrayPool<T>.Shared.Return(buffer, clearArray: true);
        }

        buffer = [];
    }
}
