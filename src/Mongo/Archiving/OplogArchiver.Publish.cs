using Archiver.Mongo.Connections;
using Archiver.Storage;
using Archiver.Storage.Oplog;
using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Archiving;

public sealed partial class OplogArchiver
{
    /// <summary>
    /// Cuts what is pending into a chunk and publishes it in the background while the tail goes on into a fresh
    /// writer: compression and the put overlap with reading. Publishes stay one at a time and in order (the next
    /// cut waits for the previous put), so a chunk is never visible before the one it continues, and at most two
    /// chunks are in memory when the repository is slow or down.
    /// </summary>
    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (_writer!.PendingEntries == 0)
        {
            return;
        }

        await _inFlight;
        var full = _writer;
        _writer = new OplogChunkWriter(_store, _layout, _options.Component, _options.Timeline, _lastAppended, _options.ChunkWriter);
        _inFlightHasData = _pendingDataSinceTicks != 0;
        _pendingDataSinceTicks = 0;
        _lastCutTicks = _time.GetTimestamp();
        _inFlight = Task.Run(() => PublishWithRetryAsync(full, cancellationToken), CancellationToken.None);
    }

    /// <summary>Publishes everything taken so far and waits until it is stored.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        await PublishAsync(cancellationToken);
        await _inFlight;
    }

    /// <summary>Retries until the chunk is stored: the writer keeps its entries until a put succeeds.</summary>
    private async Task PublishWithRetryAsync(OplogChunkWriter writer, CancellationToken cancellationToken)
    {
        using var owned = writer;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_options.PublishAllowed is { } allowed && !await allowed(cancellationToken))
                {
                    throw new ArchivingRevokedException($"{_options.Component}: publishing into '{_layout.Prefix}' is no longer allowed (the database is gone, or this member is no longer the primary); {writer.PendingEntries} entries read since are not published");
                }

                var started = _time.GetTimestamp();
                var chunk = await writer.PublishAsync(cancellationToken);
                if (chunk is null)
                {
                    return;
                }

                _options.Metrics?.ChunkUploaded(chunk.Range.SizeBytes, _time.GetElapsedTime(started));

                lock (_statusLock)
                {
                    _entriesArchived += chunk.Range.EntryCount;
                    _chunksPublished++;
                    _lastArchived = chunk.Range.Last;
                    _lastArchivedWall = chunk.Range.LastWallUnixMs;
                    if (_runStartWall == 0)
                    {
                        _runStart = chunk.Range.Previous.IsZero ? OplogTimestamp.FromValue(chunk.Range.First.Value - 1) : chunk.Range.Previous;
                        _runStartWall = chunk.Range.FirstWallUnixMs;
                    }
                }

                _inFlightHasData = false;
                Clear(ArchiverConditionTypes.StorageUnavailable);
                Publish(ArchiverPhase.Streaming, null);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsStorageFailure(e))
            {
                var cause = $"publishing a chunk failed: {MongoFailure.FirstLine(e.Message)}";
                Raise(ArchiverConditionTypes.StorageUnavailable, cause, e);
                SetPhase(ArchiverPhase.Retrying, cause);
                try
                {
                    await Task.Delay(_options.RetryDelay, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Refreshes lag and headroom at most every <c>StatusInterval</c> (they cost two round trips).</summary>
    private async Task RefreshStatusAsync(bool force, CancellationToken cancellationToken)
    {
        if (!force && _time.GetElapsedTime(_statusRefreshedTicks) < _options.StatusInterval)
        {
            return;
        }

        _statusRefreshedTicks = _time.GetTimestamp();
        _position = await ReplicaSetPosition.ReadAsync(_client, cancellationToken);
        var oldest = await _client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty)
            .Sort(new BsonDocument("$natural", 1))
            .Limit(1)
            .Project(new BsonDocument { { "ts", 1 }, { "wall", 1 } })
            .FirstOrDefaultAsync(cancellationToken);
        _oldestWall = oldest is null ? 0 : oldest.GetValue("wall", new BsonDateTime(0)).AsBsonDateTime.MillisecondsSinceEpoch;
        _oplogFill = await OplogFillAsync(cancellationToken);
        var headroom = HeadroomNow();
        if (headroom is { } h && h < _options.HeadroomAlarm)
        {
            Raise(ArchiverConditionTypes.HeadroomLow, $"The oldest unarchived entry would roll off in about {h.TotalSeconds:0} s.");
        }
        else
        {
            Clear(ArchiverConditionTypes.HeadroomLow);
        }

        Publish(_status.Phase, _status.LastError);
    }

    /// <summary>
    /// How long until the oldest unarchived entry rolls off, at the current write rate. A full oplog holds the span
    /// from its oldest entry to its newest, so the entry after the last archived one has (last archived − oldest)
    /// left. An oplog not yet full will hold its span × maxSize / size before it starts to evict; without
    /// <c>collStats</c> (a server that refuses it) it is taken as full, which can only under-estimate.
    /// </summary>
    private TimeSpan? HeadroomNow()
    {
        if (_oldestWall == 0 || _lastArchivedWall == 0) return null;
        var newest = Math.Max(_lastArchivedWall, _position?.LastWriteUnixMs ?? _lastArchivedWall);
        var span = Math.Max(1, newest - _oldestWall);
        var capacity = _oplogFill is > 0 and < 1 ? span / _oplogFill.Value : span;
        return TimeSpan.FromMilliseconds(Math.Max(0, capacity - (newest - _lastArchivedWall)));
    }

    /// <summary>The fraction of the oplog's cap in use, from <c>collStats</c>; null if the server does not say.</summary>
    private async Task<double?> OplogFillAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stats = await _client.GetDatabase("local").RunCommandAsync<BsonDocument>(new BsonDocument("collStats", "oplog.rs"), cancellationToken: cancellationToken);
            var size = stats.GetValue("size", 0).ToDouble();
            var max = stats.GetValue("maxSize", 0).ToDouble();
            return size > 0 && max > 0 ? Math.Min(1, size / max) : null;
        }
        catch (MongoCommandException)
        {
            return null;
        }
    }

    /// <summary>
    /// Every write up to the majority point is archived, though no-ops after it wait for the idle flush: nothing with data
    /// is pending, held back or in flight, and the tail has read through the majority point. The lag is of data: an idle
    /// database's pending no-ops do not raise the lag alarm.
    /// </summary>
    private bool NoDataUnarchived(ReplicaSetPosition position) =>
        NoDataPending && OplogTimestamp.FromValue(Interlocked.Read(ref _readThrough)) >= position.Majority;

    private bool NoDataPending => _options.IdleFlushInterval is not null && _pendingDataSinceTicks == 0 && !_inFlightHasData && _heldEntries == 0;

    /// <summary>
    /// Newest majority write minus newest archived entry; zero when everything up to the majority point was read and nothing
    /// with data waits. With nothing with data waiting but the majority point moved past what the tail has read (a no-op
    /// written a moment ago), only that unread stretch can be data not archived: the lag is its length, not the time since
    /// the last upload, which for an idle database is up to an idle flush interval and would raise a false alarm.
    /// </summary>
    private TimeSpan LagAt(ReplicaSetPosition position)
    {
        if (NoDataUnarchived(position)) return TimeSpan.Zero;
        var archivedThrough = NoDataPending ? Math.Max(_lastArchivedWall, Interlocked.Read(ref _readThroughWall)) : _lastArchivedWall;
        return TimeSpan.FromMilliseconds(Math.Max(0, position.MajorityUnixMs - archivedThrough));
    }

    private void SetPhase(ArchiverPhase phase, string? error = null) => Publish(phase, error ?? (phase == ArchiverPhase.Retrying ? _status.LastError : null));

    /// <summary>
    /// Raises (or restates) a condition; its time is when it was first raised, so a message naming it says since when.
    /// <paramref name="detail"/>, the exception behind it, is logged whole when the message changes, not at every retry.
    /// </summary>
    private void Raise(string type, string message, Exception? detail = null)
    {
        bool changed;
        lock (_statusLock)
        {
            changed = !_conditions.TryGetValue(type, out var existing) || existing.Message != message;
            _conditions[type] = existing is not null
                ? existing with { Message = message }
                : new ArchiverCondition(type, message, _time.GetUtcNow());
        }

        if (changed && detail is not null) _options.Logger.LogWarning(detail, "oplog archiving of {Component}: {Condition}: {Message}", _options.Component, type, message);

        Publish(_status.Phase, message);
    }

    private void Clear(string type)
    {
        bool removed;
        lock (_statusLock)
        {
            removed = _conditions.Remove(type);
        }

        if (removed)
        {
            Publish(_status.Phase, _status.LastError);
        }
    }

    private void Publish(ArchiverPhase phase, string? error)
    {
        OplogArchiverStatus status;
        lock (_statusLock)
        {
            var archived = _lastArchived;
            var hasRun = !archived.IsZero;
            status = new OplogArchiverStatus
            {
                Component = _options.Component,
                Phase = phase,
                WalSegmentStart = hasRun ? _runStart : null,
                WalSegmentStartWall = hasRun ? DateTimeOffset.FromUnixTimeMilliseconds(_runStartWall) : null,
                WalSegmentEnd = hasRun ? archived : null,
                WalSegmentEndWall = hasRun ? DateTimeOffset.FromUnixTimeMilliseconds(_lastArchivedWall) : null,
                // Unknown while the replica set cannot be read: the last majority point seen says nothing of what was
                // written since, and a stale 0s would claim the archive is caught up.
                Lag = _position is { } p && hasRun && !_conditions.ContainsKey(ArchiverConditionTypes.SourceUnavailable)
                    ? LagAt(p)
                    : null,
                OplogHeadroom = HeadroomNow(),
                Conditions = [.. _conditions.Values],
                Gaps = [.. _gaps],
                EntriesArchived = _entriesArchived,
                ChunksPublished = _chunksPublished,
                LastError = error,
                UpdatedAt = _time.GetUtcNow(),
            };
            _status = status;
        }

        _options.Metrics?.Reported(status);
        StatusChanged?.Invoke(this, status);
    }
}
