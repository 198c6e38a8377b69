namespace Archiver.Storage.Catalog;

/// <summary>
/// What a restore should reach: a wall-clock time (millisecond precision) or an exact oplog <c>ts</c>. Both are
/// inclusive: the entry at the target is applied, the first one after it is not.
/// </summary>
public sealed record RecoveryTarget
{
    private RecoveryTarget(DateTimeOffset? time, OplogTimestamp? ts)
    {
        Time = time;
        Ts = ts;
    }

    public DateTimeOffset? Time { get; }

    public OplogTimestamp? Ts { get; }

    public static RecoveryTarget AtTime(DateTimeOffset time) => new(time, null);

    public static RecoveryTarget AtTs(OplogTimestamp ts) => new(null, ts);

    /// <summary>True for the first entry a replay toward this target must not apply.</summary>
    public bool IsPast(Oplog.OplogEntry entry) =>
        Ts is { } ts ? entry.Ts > ts : entry.WallUnixMs > Time!.Value.ToUnixTimeMilliseconds();

    public override string ToString() => Ts is { } ts ? $"ts {ts}" : $"{Time:O}";
}
