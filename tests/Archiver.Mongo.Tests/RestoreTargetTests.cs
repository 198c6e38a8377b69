using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Oplog;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>How targets are written and how they match entries (docs/data-plane.md).</summary>
public sealed class RestoreTargetTests
{
    [Fact]
    public void A_time_with_microseconds_includes_an_entry_whose_millisecond_wall_is_at_or_before_it()
    {
        var target = RestoreTarget.Parse("2026-11-25T17:00:00.123456Z");
        var wall = DateTimeOffset.Parse("2026-11-25T17:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

        Assert.False(target.IsPast(Entry(1, wall)));
        Assert.True(target.IsPast(Entry(2, wall + 1)));
        Assert.Equal("2026-11-25T17:00:00.123456Z", target.ToString());
    }

    [Fact]
    public void An_exclusive_time_on_an_exact_millisecond_leaves_out_the_entries_of_that_millisecond()
    {
        var target = RestoreTarget.Parse("2026-11-25T17:00:00.123000Z,exclusive");
        var wall = DateTimeOffset.Parse("2026-11-25T17:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

        Assert.True(target.Exclusive);
        Assert.True(target.IsPast(Entry(1, wall)));
        Assert.False(target.IsPast(Entry(1, wall - 1)));
    }

    [Fact]
    public void A_ts_target_includes_exactly_that_entry_unless_exclusive()
    {
        var inclusive = RestoreTarget.Parse("1764000000:5");
        var exclusive = RestoreTarget.Parse("1764000000:5,exclusive");

        Assert.Equal(new OplogTimestamp(1764000000, 5), inclusive.Ts);
        Assert.False(inclusive.IsPast(Entry(5, 0)));
        Assert.True(inclusive.IsPast(Entry(6, 0)));
        Assert.True(exclusive.IsPast(Entry(5, 0)));
        Assert.False(exclusive.IsPast(Entry(4, 0)));
    }

    [Fact]
    public void Latest_and_immediate_parse_and_other_text_is_refused()
    {
        Assert.Equal(RestoreTargetKind.Latest, RestoreTarget.Parse("latest").Kind);
        Assert.Equal(RestoreTargetKind.Immediate, RestoreTarget.Parse("IMMEDIATE").Kind);
        Assert.Throws<FormatException>(() => RestoreTarget.Parse("yesterday"));
    }

    private static OplogEntry Entry(uint increment, long wall) => new(new OplogTimestamp(1764000000, increment), wall, ReadOnlyMemory<byte>.Empty);
}
