using Archiver.Storage;
using Archiver.Storage.Oplog;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Archiving;

public sealed partial class OplogArchiver
{
    /// <summary>
    /// One tailing session: from the last entry taken (archived or pending) to the first failure. Entries past the
    /// majority point wait in <c>held</c>; a failure drops them (they may be rolled back) and the next session
    /// re-reads them from the primary of the moment.
    /// </summary>
    private async Task TailAsync(CancellationToken cancellationToken)
    {
        var oplog = _client.GetDatabase("local").GetCollection<RawBsonDocument>("oplog.rs");
        var from = _lastAppended;
        var filter = from.IsZero
            ? new BsonDocument()
            : new BsonDocument("ts", new BsonDocument("$gte", OplogFields.ToBson(from)));
        var held = new Queue<OplogEntry>();
        _position = await ReplicaSetPosition.ReadAsync(_client, cancellationToken);
        var sessionTerm = _position.Term;
        await RefreshStatusAsync(force: true, cancellationToken);
        using var cursor = await oplog.FindAsync(
            filter,
            new FindOptions<RawBsonDocument> { CursorType = CursorType.TailableAwait, MaxAwaitTime = _options.MaxAwaitTime },
            cancellationToken);
        var checkedContinuity = from.IsZero;
        Clear(ArchiverConditionTypes.SourceUnavailable);
        var fresh = new List<OplogEntry>();
        while (await cursor.MoveNextAsync(cancellationToken))
        {
            // The batch's entries are read in place, over the driver's reply buffer: the writer copies each into its
            // chunk once it is known to be majority-committed, and only entries that must wait are copied out.
            var documents = cursor.Current as IReadOnlyList<RawBsonDocument> ?? [.. cursor.Current];
            var readThrough = OplogTimestamp.Zero;
            var readThroughWall = 0L;
            try
            {
                foreach (var raw in documents)
                {
                    var entry = View(raw);
                    if (!checkedContinuity)
                    {
                        checkedContinuity = true;
                        if (entry.Ts == from)
                        {
                            continue;
                        }

                        // A $gte find from a rolled-off ts silently starts at the oldest entry (MONGODB-OPLOG.md §6).
                        await StartNewRunAfterGapAsync(from, entry, cancellationToken);
                    }

                    fresh.Add(entry);
                    readThrough = entry.Ts;
                    readThroughWall = entry.WallUnixMs;
                }

                await PassMajorityCommittedAsync(held, fresh, sessionTerm, cancellationToken);
                _heldEntries = held.Count;
            }
            finally
            {
                fresh.Clear();
                foreach (var raw in documents)
                {
                    raw.Dispose();
                }
            }

            await CutIfDueAsync(caughtUp: held.Count == 0 && documents.Count == 0, cancellationToken);
            if (!readThrough.IsZero)
            {
                Interlocked.Exchange(ref _readThroughWall, readThroughWall);
                Interlocked.Exchange(ref _readThrough, readThrough.Value);
            }

            await RefreshStatusAsync(force: false, cancellationToken);
        }

        // A tailable cursor that ends (id 0) means the collection was recreated or the server gave up on it: re-query.
        await Task.Delay(_options.MaxAwaitTime, _time, cancellationToken);
    }

    /// <summary>
    /// Appends, in order, the held entries and then this batch's that are majority-committed (the position is read
    /// again, after the batch was fetched, when an entry is past the majority point last seen); the rest wait in
    /// <c>held</c>, copied out of the driver's buffer. Once one entry waits, all after it wait too.
    /// </summary>
    private async Task PassMajorityCommittedAsync(Queue<OplogEntry> held, List<OplogEntry> fresh, long sessionTerm, CancellationToken cancellationToken)
    {
        if (held.Count == 0 && fresh.Count == 0)
        {
            return;
        }

        var newest = fresh.Count > 0 ? fresh[^1].Ts : held.Last().Ts;
        if (newest > _position!.Majority)
        {
            _position = await ReplicaSetPosition.ReadAsync(_client, cancellationToken);
            if (_position.Term != sessionTerm)
            {
                // An election (and maybe a rollback) happened since these entries were read: a later majority ts
                // does not prove they survived. Drop them and read again from the last archived entry.
                throw new TermChangedException(sessionTerm, _position.Term);
            }
        }

        while (held.Count > 0 && held.Peek().Ts <= _position.Majority)
        {
            await AppendAsync(held.Dequeue(), cancellationToken);
        }

        foreach (var entry in fresh)
        {
            if (held.Count == 0 && entry.Ts <= _position.Majority)
            {
                await AppendAsync(entry, cancellationToken);
            }
            else
            {
                held.Enqueue(new OplogEntry(entry.Ts, entry.WallUnixMs, entry.Document.ToArray()));
            }
        }
    }

    private async Task AppendAsync(OplogEntry entry, CancellationToken cancellationToken)
    {
        if (_writer!.PendingEntries == 0)
        {
            _pendingSinceTicks = _time.GetTimestamp();
        }

        if (_pendingDataSinceTicks == 0 && !OplogFields.IsNoop(entry.Document.Span))
        {
            _pendingDataSinceTicks = _time.GetTimestamp();
        }

        if (_writer.Append(entry))
        {
            _lastAppended = entry.Ts;
        }

        if (_writer.PendingBytes >= _options.ChunkMaxBytes)
        {
            await PublishAsync(cancellationToken);
        }
    }

    private async Task StartNewRunAfterGapAsync(OplogTimestamp from, OplogEntry first, CancellationToken cancellationToken)
    {
        // Everything taken before the gap is contiguous: publish it under the old run first.
        await DrainAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var gap = new ArchivedGap(
            from,
            DateTimeOffset.FromUnixTimeMilliseconds(_lastArchivedWall),
            first.Ts,
            first.Wall,
            now);
        _gaps.Add(gap);
        Raise(
            ArchiverConditionTypes.OplogGap,
            $"The oplog no longer reaches back to the last archived entry {from}; the oldest entry is {first.Ts}. Entries in between are lost: take a new full backup.");
        _writer!.Dispose();

        // previous = 0 (unknown): the catalog starts a new run here instead of assuming continuity.
        _writer = new OplogChunkWriter(_store, _layout, _options.Component, _options.Timeline, OplogTimestamp.Zero, _options.ChunkWriter);
        _lastAppended = OplogTimestamp.Zero;
        lock (_statusLock)
        {
            _lastArchived = OplogTimestamp.Zero;
            _runStart = OplogTimestamp.FromValue(first.Ts.Value - 1);
            _runStartWall = first.WallUnixMs;
        }
    }

    /// <summary>
    /// Cuts a chunk once the oldest pending entry is <c>ChunkMaxAge</c> old, or at once when the tail is caught up
    /// (an empty batch after waiting): nothing more is coming soon, so waiting would only widen the recovery point.
    /// But a caught-up cut comes at most once per <c>ChunkMaxAge</c>: a database written to ten times a second is
    /// caught up between every two writes, and cutting each time uploaded a chunk per write (864,000 a day at 10 writes a
    /// second, bench/Storage/ArchivingCostBenchmark.cs). Either way no entry waits longer than <c>ChunkMaxAge</c>.
    /// With <c>IdleFlushInterval</c>, that holds for data; a chunk of no-ops alone waits that long instead, since it holds
    /// nothing to recover and an upload costs the same whatever it holds.
    /// </summary>
    private async Task CutIfDueAsync(bool caughtUp, CancellationToken cancellationToken)
    {
        // A publish that failed for good (publishing revoked: the database deleted, the member no longer primary) ends the
        // run now, not at the next cut, which for an idle database is an idle flush away.
        if (_inFlight.IsFaulted) await _inFlight;
        if (_writer!.PendingEntries == 0) return;
        if (Interlocked.Exchange(ref _flushRequested, 0) == 1)
        {
            await PublishAsync(cancellationToken);
            return;
        }

        // The first chunk of a run is cut at once whatever it holds: it shows the stream runs (and that the storage takes
        // its writes) the moment archiving starts or a new primary's sidecar takes over, not an idle flush later.
        var due = _options.IdleFlushInterval is { } idle && _pendingDataSinceTicks == 0 && Interlocked.Read(ref _chunksPublished) > 0
            ? _time.GetElapsedTime(_pendingSinceTicks) >= idle
            : (caughtUp && _options.CutWhenCaughtUp && (_lastCutTicks == 0 || _time.GetElapsedTime(_lastCutTicks) >= _options.ChunkMaxAge))
                || _time.GetElapsedTime(_options.IdleFlushInterval is null ? _pendingSinceTicks : _pendingDataSinceTicks) >= _options.ChunkMaxAge;
        if (due)
        {
            await PublishAsync(cancellationToken);
        }
    }

    /// <summary>The entry over the driver's buffer where the document lies in one piece (it does, but for a reply split across buffers), else a copy.</summary>
    private static OplogEntry View(RawBsonDocument raw)
    {
        var slice = raw.Slice;
        var backing = slice.AccessBackingBytes(0);
        ReadOnlyMemory<byte> document;
        if (backing.Count >= slice.Length)
        {
            document = backing.AsMemory(0, slice.Length);
        }
        else
        {
            var bytes = new byte[slice.Length];
            slice.GetBytes(0, bytes, 0, bytes.Length);
            document = bytes;
        }

        var (ts, wall) = OplogFields.Read(document.Span);
        return new OplogEntry(ts, Math.Max(0, wall), document);
    }
}
