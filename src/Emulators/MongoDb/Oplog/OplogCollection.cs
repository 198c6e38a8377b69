namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// <c>local.oplog.rs</c>: a capped collection in ts order. When its size goes over the cap the oldest entries
/// are truncated, but never the majority commit point or anything after it (MongoDB grows the oplog rather
/// than lose the commit point). Callers hold the replica-set lock.
/// </summary>
internal sealed class OplogCollection
{
    private readonly List<OplogEntry> _entries = [];
    private int _first;

    public OplogCollection(long maxBytes) => MaxBytes = maxBytes;

    public long MaxBytes { get; set; }

    public long SizeBytes { get; private set; }

    public int Count => _entries.Count - _first;

    public OplogEntry? Oldest => Count > 0 ? _entries[_first] : null;

    public OplogEntry? Newest => Count > 0 ? _entries[^1] : null;

    public IEnumerable<OplogEntry> All => Range(_first, _entries.Count);

    public void Append(OplogEntry entry)
    {
        _entries.Add(entry);
        SizeBytes += entry.Size;
    }

    /// <summary>Drops the oldest entries while over the cap and older than <paramref name="keepFrom"/>.</summary>
    public int Truncate(long keepFrom)
    {
        var removed = 0;
        while (SizeBytes > MaxBytes && Count > 1 && _entries[_first].Position < keepFrom)
        {
            SizeBytes -= _entries[_first].Size;
            _first++;
            removed++;
        }

        if (_first > 1024 && _first > _entries.Count / 2)
        {
            _entries.RemoveRange(0, _first);
            _first = 0;
        }

        return removed;
    }

    /// <summary>Removes every entry after <paramref name="position"/> (a rollback); returns how many.</summary>
    public int RemoveAfter(long position)
    {
        var index = IndexAfter(position);
        var count = _entries.Count - index;
        for (var i = index; i < _entries.Count; i++)
        {
            SizeBytes -= _entries[i].Size;
        }

        _entries.RemoveRange(index, count);
        return count;
    }

    /// <summary>Entries with ts strictly after <paramref name="position"/>, oldest first (a copy).</summary>
    public IEnumerable<OplogEntry> After(long position) => Range(IndexAfter(position), _entries.Count);

    /// <summary>
    /// Entries after <paramref name="position"/> enumerated in place, without copying the rest of the oplog, for
    /// a tailing scan that stops after one batch. Valid only while the caller holds the lock.
    /// </summary>
    public IEnumerable<OplogEntry> StreamAfter(long position)
    {
        for (var i = IndexAfter(position); i < _entries.Count; i++)
        {
            yield return _entries[i];
        }
    }

    /// <summary>Entries with ts at or after <paramref name="position"/>, oldest first.</summary>
    public IEnumerable<OplogEntry> From(long position) => position == 0 ? All : After(position - 1);

    private int IndexAfter(long position)
    {
        int lo = _first, hi = _entries.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_entries[mid].Position <= position)
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

    private IEnumerable<OplogEntry> Range(int start, int end)
    {
        // Materialised so a caller may release the lock before enumerating.
        var result = new List<OplogEntry>(Math.Max(0, end - start));
        for (var i = start; i < end; i++)
        {
            result.Add(_entries[i]);
        }

        return result;
    }
}
