using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// Hands out oplog timestamps as MongoDB does: seconds from the wall clock, an increment counting up within a
/// second, strictly increasing even if the clock steps back. Callers hold the replica-set lock.
/// </summary>
internal sealed class OpTimeClock
{
    private readonly TimeProvider _time;
    private uint _seconds;
    private uint _increment;

    public OpTimeClock(TimeProvider time) => _time = time;

    /// <summary>The last timestamp handed out or observed.</summary>
    public BsonTimestamp Current => new((int)_seconds, (int)_increment);

    public (BsonTimestamp Ts, DateTime Wall) Next()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        // BSON dates hold milliseconds; truncating here keeps `wall` equal to what a reader gets back.
        now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
        var seconds = (uint)new DateTimeOffset(now).ToUnixTimeSeconds();
        if (seconds > _seconds)
        {
            _seconds = seconds;
            _increment = 1;
        }
        else
        {
            _increment++;
        }

        return (new BsonTimestamp((int)_seconds, (int)_increment), now);
    }

    /// <summary>After a rollback the clock must still never reissue a timestamp a reader may have seen.</summary>
    public void Observe(BsonTimestamp ts)
    {
        var seconds = (uint)ts.Timestamp;
        if (seconds > _seconds || (seconds == _seconds && (uint)ts.Increment > _increment))
        {
            _seconds = seconds;
            _increment = (uint)ts.Increment;
        }
    }
}
