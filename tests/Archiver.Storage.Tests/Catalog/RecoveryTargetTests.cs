using Archiver.Storage.Catalog;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Tests.Catalog;

/// <summary>How targets are written, read and matched against entries (docs/data-plane.md): one parser for all of them.</summary>
public sealed class RecoveryTargetTests
{
    [Fact]
    public void A_time_with_microseconds_includes_an_entry_whose_millisecond_wall_is_at_or_before_it()
    {
        var target = RecoveryTarget.Parse("2026-11-25T17:00:00.123456Z");
        var wall = DateTimeOffset.Parse("2026-11-25T17:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

        Assert.False(target.IsPast(Entry(1, wall)));
        Assert.True(target.IsPast(Entry(2, wall + 1)));
        Assert.Equal("2026-11-25T17:00:00.123456Z", target.ToString());
    }

    [Fact]
    public void An_exclusive_time_on_an_exact_millisecond_leaves_out_the_entries_of_that_millisecond()
    {
        var target = RecoveryTarget.Parse("2026-11-25T17:00:00.123000Z,exclusive");
        var wall = DateTimeOffset.Parse("2026-11-25T17:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

        Assert.True(target.Exclusive);
        Assert.True(target.IsPast(Entry(1, wall)));
        Assert.False(target.IsPast(Entry(1, wall - 1)));
    }

    [Fact]
    public void A_ts_target_includes_exactly_that_entry_unless_exclusive()
    {
        var inclusive = RecoveryTarget.Parse("1764000000:5");
        var exclusive = RecoveryTarget.Parse("1764000000:5,exclusive");

        Assert.Equal(new OplogTimestamp(1764000000, 5), inclusive.Ts);
        Assert.False(inclusive.IsPast(Entry(5, 0)));
        Assert.True(inclusive.IsPast(Entry(6, 0)));
        Assert.True(exclusive.IsPast(Entry(5, 0)));
        Assert.False(exclusive.IsPast(Entry(4, 0)));
    }

    [Fact]
    public void Latest_and_immediate_parse_and_other_text_is_refused()
    {
        Assert.Equal(RecoveryTargetKind.Latest, RecoveryTarget.Parse("latest").Kind);
        Assert.Equal(RecoveryTargetKind.Immediate, RecoveryTarget.Parse("IMMEDIATE").Kind);
        Assert.Throws<FormatException>(() => RecoveryTarget.Parse("yesterday"));
    }

    [Theory]
    [InlineData("2026-11-25T17:00:00.123456Z")]
    [InlineData("2026-11-25T17:00:00.000001Z,exclusive")]
    [InlineData("1764000000:5")]
    [InlineData("1764000000:0,exclusive")]
    [InlineData("latest")]
    [InlineData("latest,exclusive")]
    [InlineData("immediate")]
    public void What_format_writes_parse_reads_back_as_the_same_target(string text)
    {
        var target = RecoveryTarget.Parse(text);

        Assert.Equal(text, target.Format());
        Assert.Equal(target, RecoveryTarget.Parse(target.Format()));
    }

    [Fact]
    public void A_time_with_an_offset_is_the_same_instant_in_utc_and_formats_in_utc()
    {
        var target = RecoveryTarget.Parse("2026-11-25T19:00:00.5+02:00");

        Assert.Equal("2026-11-25T17:00:00.500000Z", target.Format());
    }

    [Theory]
    [InlineData("2026-11-25T17:00:00", "offset")]
    [InlineData("2026-11-25 17:00:00Z", "RFC 3339")]
    [InlineData("2026-11-25T17:00:00.1234567Z", "microsecond")]
    [InlineData("2026-11-25T17:00:00.Z", "fraction")]
    [InlineData("2026-13-25T17:00:00Z", "out of range")]
    [InlineData("1764000000:x", "seconds:increment")]
    [InlineData("immediate,exclusive", "cannot be exclusive")]
    [InlineData(" ", "required")]
    public void Text_that_is_not_exactly_a_target_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(RecoveryTarget.TryParse(text, out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void Digits_past_the_microsecond_are_accepted_only_when_they_are_zeros()
    {
        Assert.Equal("2026-11-25T17:00:00.123456Z", RecoveryTarget.Parse("2026-11-25T17:00:00.123456000Z").Format());
    }

    [Fact]
    public void The_catalog_plans_with_the_newest_millisecond_and_ts_a_target_includes()
    {
        Assert.Equal(1764090000123, RecoveryTarget.Parse("2025-11-25T17:00:00.123999Z").LastWallUnixMs);
        Assert.Equal(1764090000122, RecoveryTarget.Parse("2025-11-25T17:00:00.123000Z,exclusive").LastWallUnixMs);
        Assert.Equal(1764090000123, RecoveryTarget.Parse("2025-11-25T17:00:00.123001Z,exclusive").LastWallUnixMs);
        Assert.Equal(new OplogTimestamp(7, 4), RecoveryTarget.Parse("7:5,exclusive").LastTs);
        Assert.Null(RecoveryTarget.Parse("7:5").LastWallUnixMs);
    }

    private static OplogEntry Entry(uint increment, long wall) => new(new OplogTimestamp(1764000000, increment), wall, ReadOnlyMemory<byte>.Empty);
}
