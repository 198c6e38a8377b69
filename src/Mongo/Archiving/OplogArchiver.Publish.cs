using Archiver.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Archiving;

public sealed partial class OplogArchiver
{
    /// <summary>
    /// Publishes what is pending, retrying until it is stored: the writer keeps the entries until a put succeeds,
    /// and the tail waits meanwhile (the oplog holds the entries; headroom shows how long it can).
    /// </summary>
    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        while (_writer!.PendingEntries > 0)
        {
            try
            {
                var chunk = await _writer.PublishAsync(cancellationToken);
                if (chunk is null)
                {
                    return;
                }

                _entriesArchived += chunk.Range.EntryCount;
                _chunksPublished++;
                _lastArchivedWall = chunk.Range.LastWallUnixMs;
                if (_runStartWall == 0)
                {
                    _runStart = chunk.Range.Previous.IsZero ? OplogTimestamp.FromValue(chunk.Range.First.Value - 1) : chunk.Range.Previous;
                    _runStartWall = chunk.Range.FirstWallUnixMs;
                }

                Clear(ArchiverConditionTypes.StorageUnavailable);
                Publish(_status.Phase, null);
                return;
            }
            catch (Exception e) when (IsStorageFailure(e) && !cancellationToken.IsCancellationRequested)
            {
                Raise(ArchiverConditionTypes.StorageUnavailable, $"Publishing a chunk failed: {e.Message}");
                SetPhase(ArchiverPhase.Retrying, e.Message);
                await Task.Delay(_options.RetryDelay, _time, cancellationToken);
                SetPhase(ArchiverPhase.Streaming);
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

    private TimeSpan? HeadroomNow() =>
        _oldestWall == 0 || _lastArchivedWall == 0 ? null : TimeSpan.FromMilliseconds(Math.Max(0, _lastArchivedWall - _oldestWall));

    private void SetPhase(ArchiverPhase phase, string? error = null) => Publish(phase, error ?? (phase == ArchiverPhase.Retrying ? _status.LastError : null));

    private void Raise(string type, string message)
    {
        lock (_statusLock)
        {
            _conditions[type] = _conditions.TryGetValue(type, out var existing)
                ? existing with { Message = message }
                : new ArchiverCondition(type, message, _time.GetUtcNow());
        }

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
            var archived = _writer?.LastArchived ?? OplogTimestamp.Zero;
            var hasRun = !archived.IsZero;
            status = new OplogArchiverStatus
            {
                Component = _options.Component,
                Phase = phase,
                WalSegmentStart = hasRun ? _runStart : null,
                WalSegmentStartWall = hasRun ? DateTimeOffset.FromUnixTimeMilliseconds(_runStartWall) : null,
                WalSegmentEnd = hasRun ? archived : null,
                WalSegmentEndWall = hasRun ? DateTimeOffset.FromUnixTimeMilliseconds(_lastArchivedWall) : null,
                Lag = _position is { } p && hasRun ? TimeSpan.FromMilliseconds(Math.Max(0, p.MajorityUnixMs - _lastArchivedWall)) : null,
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

        StatusChanged?.Invoke(this, status);
    }
}
