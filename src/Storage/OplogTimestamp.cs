using System.Globalization;

namespace Archiver.Storage;

/// <summary>
/// A MongoDB oplog <c>ts</c> (seconds, increment). The storage layer never parses BSON: callers hand it the
/// <c>ts</c> they already read, so the repository stays independent of any driver.
/// </summary>
public readonly record struct OplogTimestamp(uint Seconds, uint Increment) : IComparable<OplogTimestamp>
{
    public static readonly OplogTimestamp Zero;

    /// <summary>The packed form MongoDB itself uses (seconds in the high half), which orders like the pair.</summary>
    public ulong Value => ((ulong)Seconds << 32) | Increment;

    public bool IsZero => Value == 0;

    public static OplogTimestamp FromValue(ulong value) => new((uint)(value >> 32), (uint)value);

    public int CompareTo(OplogTimestamp other) => Value.CompareTo(other.Value);

    public static bool operator <(OplogTimestamp left, OplogTimestamp right) => left.Value < right.Value;

    public static bool operator >(OplogTimestamp left, OplogTimestamp right) => left.Value > right.Value;

    public static bool operator <=(OplogTimestamp left, OplogTimestamp right) => left.Value <= right.Value;

    public static bool operator >=(OplogTimestamp left, OplogTimestamp right) => left.Value >= right.Value;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Seconds}.{Increment}");
}
