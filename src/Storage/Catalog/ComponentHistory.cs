using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>
/// The archived oplog of one component on one timeline, as sorted arrays: chunks ordered by (first ts, longest
/// first), the replay chain (the chunks that add something, in order), and the continuous runs over that chain.
/// Chunks arriving in order extend the chain in O(1); one out of order triggers a single re-sort on next use.
/// Duplicates and overlaps are absorbed: a chunk contained in what the chain already covers is never chained.
/// </summary>
public sealed class ComponentHistory
{
    private static readonly Comparison<ChunkRange> ByFirstThenLongest = (a, b) =>
        a.First != b.First ? a.First.CompareTo(b.First) : b.Last.CompareTo(a.Last);

    private readonly List<OplogRun> _runs = [];
    private ChunkRange[] _chunks = new ChunkRange[64];
    private int[] _chain = new int[64];
    private int _count;
    private long _sizeBytes;
    private int _chainCount;
    private int _processed;
    private bool _sorted = true;

    public ComponentHistory(string component, uint timeline)
    {
        Component = component;
        Timeline = timeline;
    }

    public string Component { get; }

    public uint Timeline { get; }

    public int ChunkCount => _count;

    /// <summary>Every chunk's stored size summed, duplicates included: what the component's oplog holds in the storage.</summary>
    public long ChunkBytes => _sizeBytes;

    public IReadOnlyList<OplogRun> Runs
    {
        get
        {
            EnsureChain();
            return _runs;
        }
    }

    /// <summary>The newest archived entry's wall time, or null if nothing is archived.</summary>
    public long? LastWallUnixMs => Runs.Count > 0 ? _runs[^1].EndWallUnixMs : null;

    public void Add(in ChunkRange range)
    {
        if (_count == _chunks.Length)
        {
            Array.Resize(ref _chunks, _count * 2);
        }

        if (_count > 0 && ByFirstThenLongest(_chunks[_count - 1], range) > 0)
        {
            _sorted = false;
        }

        _chunks[_count++] = range;
        _sizeBytes += range.SizeBytes;
    }

    /// <summary>Every chunk, sorted, including duplicates the chain skips (retention needs to see them).</summary>
    public ReadOnlySpan<ChunkRange> AllChunks()
    {
        EnsureChain();
        return _chunks.AsSpan(0, _count);
    }

    public ChunkRange ChainChunk(int chainIndex) => _chunks[_chain[chainIndex]];

    /// <summary>The run that holds every entry after <paramref name="ts"/> up to its end, or -1.</summary>
    public int FindRunCovering(OplogTimestamp ts)
    {
        EnsureChain();
        int lo = 0, hi = _runs.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_runs[mid].From <= ts)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found >= 0 && ts <= _runs[found].End ? found : -1;
    }

    /// <summary>The first chain position in <paramref name="run"/> whose chunk holds an entry after <paramref name="ts"/>.</summary>
    public int FirstChainIndexAfter(OplogTimestamp ts, in OplogRun run)
    {
        int lo = run.ChainStart, hi = run.ChainEnd;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ChainChunk(mid).Last <= ts)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    public IReadOnlyList<OplogGap> Gaps()
    {
        EnsureChain();
        var gaps = new List<OplogGap>();
        for (var i = 1; i < _runs.Count; i++)
        {
            gaps.Add(new OplogGap(Component, Timeline, _runs[i - 1].End, _runs[i - 1].EndWallUnixMs, _runs[i].From, _runs[i].FromWallUnixMs));
        }

        return gaps;
    }

    private void EnsureChain()
    {
        if (!_sorted)
        {
            Array.Sort(_chunks, 0, _count, Comparer<ChunkRange>.Create(ByFirstThenLongest));
            _sorted = true;
            _processed = 0;
            _chainCount = 0;
            _runs.Clear();
        }

        for (; _processed < _count; _processed++)
        {
            Extend(_processed);
        }
    }

    private void Extend(int index)
    {
        var chunk = _chunks[index];
        if (_runs.Count > 0)
        {
            var run = _runs[^1];
            if (chunk.Last <= run.End)
            {
                return;
            }

            // Continuity is proven, never guessed: a chunk is a contiguous slice of the oplog, so it continues the
            // run if it overlaps it, or if its own record of the entry before it is already in the run.
            if (chunk.First <= run.End || (!chunk.Previous.IsZero && chunk.Previous <= run.End))
            {
                AppendToChain(index);
                _runs[^1] = run with { End = chunk.Last, EndWallUnixMs = chunk.LastWallUnixMs, ChainEnd = _chainCount };
                return;
            }
        }

        // A run is known from the chunk's predecessor; for the very first chunk (no predecessor) from its own first entry.
        var from = chunk.Previous.IsZero ? OplogTimestamp.FromValue(chunk.First.Value - 1) : chunk.Previous;
        AppendToChain(index);
        _runs.Add(new OplogRun(from, chunk.Last, chunk.FirstWallUnixMs, chunk.LastWallUnixMs, _chainCount - 1, _chainCount));
    }

    private void AppendToChain(int index)
    {
        if (_chainCount == _chain.Length)
        {
            Array.Resize(ref _chain, _chainCount * 2);
        }

        _chain[_chainCount++] = index;
    }
}
