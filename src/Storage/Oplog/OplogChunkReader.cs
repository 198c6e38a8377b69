using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using ZstdSharp;

namespace Archiver.Storage.Oplog;

/// <summary>
/// Reads chunk objects back, verifying each frame's checksum and that the object agrees with its name (a renamed or
/// misplaced chunk would otherwise poison the catalog). An object is one or more frames back to back, each a whole
/// chunk encoding (<see cref="OplogChunkFormat"/>) continuing the one before it: what the archiver cuts is a single
/// frame; what compaction merges into one object of up to 64 MiB is many, so that reading it never holds more than
/// one frame's content in memory (docs/storage.md). Not thread-safe: it reuses one decompressor. With
/// <c>reuseBuffers</c> it also reuses its content buffers: the entries of a frame are then valid only until the next
/// read or until it is disposed (copy a document to keep it), which is what makes a replay run at zstd speed.
/// </summary>
public sealed class OplogChunkReader(IObjectStore store, bool reuseBuffers = false) : IDisposable
{
    // Nothing this program writes comes near it; a header claiming more is damage, not a chunk.
    private const long MaxFrameBytes = 1L << 30;

    private readonly Decompressor _decompressor = new();
    private readonly ChunkBuffers _buffers = new();

    /// <summary>
    /// The whole object as one chunk. A single frame is returned as read; the frames of a merged object are joined
    /// into memory of their own (the reader's buffers are not used for it), so prefer <see cref="ReadFramesAsync"/> there.
    /// </summary>
    public async Task<OplogChunk> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        OplogChunk? single = null;
        List<OplogEntry>? joined = null;
        ChunkHeader? first = null;
        await foreach (var frame in ReadFramesAsync(key, cancellationToken))
        {
            if (single is null && joined is null)
            {
                single = frame;
                first = frame.Header;
                continue;
            }

            if (joined is null)
            {
                joined = [.. Copy(single!.Entries)];
                single = null;
            }

            joined.AddRange(Copy(frame.Entries));
            first = first! with { EntryCount = joined.Count, Last = frame.Header.Last, LastWallUnixMs = frame.Header.LastWallUnixMs };
        }

        return joined is null ? single! : new OplogChunk(key, first!, new ArraySegment<OplogEntry>([.. joined]));

        static IEnumerable<OplogEntry> Copy(ArraySegment<OplogEntry> entries) =>
            entries.Select(e => e with { Document = e.Document.ToArray() }).ToList();
    }

    /// <summary>
    /// The object's frames in order, streamed: each is verified before it is returned, and the object as a whole
    /// (its frame chain, and its first and last entry and count against its name) as the frames go by; the first
    /// mismatch ends the enumeration with a <see cref="CorruptObjectException"/>. A frame lives in the reader's buffers
    /// when it reuses them: valid until the next one is asked for.
    /// </summary>
    public async IAsyncEnumerable<OplogChunk> ReadFramesAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var name = key[(key.LastIndexOf('/') + 1)..];
        if (!ChunkName.TryParse(name, 0, out var range))
        {
            throw new CorruptObjectException(key, "its name is not an oplog chunk's name");
        }

        await using var stream = await store.GetAsync(key, cancellationToken);
        var frames = 0;
        var entries = 0L;
        var last = range.Previous;
        while (true)
        {
            var download = _buffers.Download(OplogChunkFormat.FixedHeaderLength);
            var read = await ReadFullyAsync(stream, download.AsMemory(0, OplogChunkFormat.FixedHeaderLength), cancellationToken);
            if (read == 0 && frames > 0)
            {
                break;
            }

            if (read < OplogChunkFormat.FixedHeaderLength)
            {
                throw new CorruptObjectException(key, frames == 0 ? "it is shorter than a chunk header" : $"frame {frames + 1} is cut off in its header");
            }

            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(download.AsSpan(80));
            var payloadLength = BinaryPrimitives.ReadInt64LittleEndian(download.AsSpan(72));
            var frameLength = OplogChunkFormat.FixedHeaderLength + nameLength + OplogChunkFormat.ChecksumLength + payloadLength;
            if (payloadLength < 0 || frameLength > MaxFrameBytes)
            {
                throw new CorruptObjectException(key, $"frame {frames + 1} claims a payload of {payloadLength} bytes");
            }

            download = _buffers.Download((int)frameLength, keep: OplogChunkFormat.FixedHeaderLength);
            var rest = (int)frameLength - OplogChunkFormat.FixedHeaderLength;
            if (await ReadFullyAsync(stream, download.AsMemory(OplogChunkFormat.FixedHeaderLength, rest), cancellationToken) < rest)
            {
                throw new CorruptObjectException(key, $"frame {frames + 1} is cut off: the object ends inside it");
            }

            var chunk = OplogChunkFormat.Decode(key, download.AsSpan(0, (int)frameLength), _decompressor, reuseBuffers ? _buffers : null);
            var header = chunk.Header;
            var linked = frames == 0
                ? header.First == range.First && header.Previous == range.Previous
                : header.Previous == last;
            if (!linked
                || header.Last > range.Last
                || !key.Contains($"/{header.Component}/{RepositoryLayout.FormatTimeline(header.Timeline)}/", StringComparison.Ordinal))
            {
                throw new CorruptObjectException(key, frames == 0 ? "its header does not match its name" : $"frame {frames + 1} does not continue the frame before it");
            }

            frames++;
            entries += header.EntryCount;
            last = header.Last;
            yield return chunk;
            if (last == range.Last)
            {
                // The name's last entry is reached: anything after it is not part of the chunk.
                if (entries != range.EntryCount || await ReadFullyAsync(stream, _buffers.Download(1).AsMemory(0, 1), cancellationToken) > 0)
                {
                    throw new CorruptObjectException(key, "its header does not match its name");
                }

                yield break;
            }
        }

        throw new CorruptObjectException(key, $"its frames end at {last}, before the last entry {range.Last} its name promises");
    }

    public void Dispose()
    {
        _decompressor.Dispose();
        _buffers.Dispose();
    }

    private static async Task<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
