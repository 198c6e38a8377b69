using Archiver.Messages.Configuration;
using Archiver.Messages.Validation;
using k8s.Models;

namespace Archiver.Messages.Tests;

public sealed class ValueSyntaxTests
{
    [Theory]
    [InlineData("2m", 120_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2h45m30.5s", 9_930_500)]
    [InlineData("0", 0)]
    [InlineData("300us", 0.3)]
    public void Go_durations_parse_as_Go_does(string text, double milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var span, out var reason), reason);
        Assert.Equal(milliseconds, span.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("2 m")]
    [InlineData("m")]
    [InlineData("1d")]
    [InlineData("")]
    [InlineData("-1s")]
    public void Malformed_durations_are_refused(string text) => Assert.False(GoDuration.TryParse(text, out _, out _));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(1_500, "1.5s")]
    [InlineData(150_000, "2m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    public void Durations_are_written_as_Go_writes_them(long milliseconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("2020-10-28T01:48:23.121314+03:00", 637394357031213140L)]
    [InlineData("2020-10-27T22:48:23.121314Z", 637394357031213140L)]
    [InlineData("2020-10-27t22:48:23.121314z", 637394357031213140L)]
    [InlineData("2020-10-27T22:48:23.121314000Z", 637394357031213140L)]
    [InlineData("2020-10-27T22:48:23Z", 637394357030000000L)]
    public void Rfc3339_times_keep_the_microsecond_whatever_the_offset(string text, long utcTicks)
    {
        Assert.True(Rfc3339.TryParse(text, out var time, out var reason), reason);
        Assert.Equal(utcTicks, time.UtcTicks);
    }

    [Fact]
    public void Rfc3339_formatting_keeps_microseconds_and_offset() =>
        Assert.Equal("2020-10-28T01:48:23.121314+03:00", Rfc3339.Format(Rfc3339.Parse("2020-10-28T01:48:23.121314+03:00")));

    [Theory]
    [InlineData("db/$APP_KIND/$APP_NAMESPACE/$APP_NAME", "db/MongoDB/demo/mg-rs")]
    [InlineData("backups/${APP_NAMESPACE}-${APP_NAME}", "backups/demo-mg-rs")]
    [InlineData("fixed/folder", "fixed/folder")]
    public void Prefixes_expand_per_database(string template, string expected)
    {
        Assert.Empty(PrefixTemplate.Check(template));
        Assert.Equal(expected, PrefixTemplate.Expand(template, "MongoDB", "demo", "mg-rs"));
    }

    [Theory]
    [InlineData("db/$APP_NAME/$APP_VERSION", "unknown variable $APP_VERSION; the variables are $APP_KIND, $APP_NAMESPACE, $APP_NAME")]
    [InlineData("db/${APP_NAME", "has a '$' that starts no variable")]
    [InlineData("db//$APP_NAME", "must not contain empty segments ('//')")]
    [InlineData("db/../$APP_NAME", "must not contain '.' or '..' segments")]
    [InlineData("db/$APP_NAME with space", "may contain only letters, digits, '-', '_', '.' and '/'")]
    public void Bad_prefixes_are_refused_with_the_reason(string template, string reason)
    {
        Assert.Contains(reason, PrefixTemplate.Check(template));
        Assert.Throws<FormatException>(() => PrefixTemplate.Expand(template, "MongoDB", "demo", "x"));
    }

    [Theory]
    [InlineData("16Mi", 16L * 1024 * 1024)]
    [InlineData("512Ki", 512L * 1024)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1.5Ki", 1536L)]
    [InlineData("4096", 4096L)]
    public void Byte_quantities_parse_as_Kubernetes_quantities(string text, long bytes)
    {
        Assert.True(ByteQuantity.TryParse(text, out var parsed, out var reason), reason);
        Assert.Equal(bytes, parsed);
    }

    [Fact]
    public void Retention_months_and_years_count_on_the_calendar()
    {
        var now = new DateTimeOffset(2024, 3, 31, 12, 0, 0, TimeSpan.Zero);
        Assert.True(RetentionPeriod.TryParse("1m", allowHours: false, out var month, out _));
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 12, 0, 0, TimeSpan.Zero), month.Before(now));
        Assert.True(RetentionPeriod.TryParse("2w", allowHours: false, out var weeks, out _));
        Assert.Equal(now.AddDays(-14), weeks.Before(now));
        Assert.False(RetentionPeriod.TryParse("12h", allowHours: false, out _, out _));
        Assert.True(RetentionPeriod.TryParse("12h", allowHours: true, out _, out _));
    }

    [Fact]
    public void Label_selectors_match_as_Kubernetes_matches_them()
    {
        var labels = new Dictionary<string, string> { ["app"] = "mongo", ["tier"] = "gold" };
        Assert.True(LabelSelectors.Matches(new V1LabelSelector(), labels));
        Assert.True(LabelSelectors.Matches(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "mongo" } }, labels));
        Assert.False(LabelSelectors.Matches(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "pg" } }, labels));
        Assert.True(LabelSelectors.Matches(Expression("tier", "In", "gold", "silver"), labels));
        Assert.False(LabelSelectors.Matches(Expression("tier", "NotIn", "gold"), labels));
        Assert.True(LabelSelectors.Matches(Expression("zone", "NotIn", "a"), labels));
        Assert.True(LabelSelectors.Matches(Expression("app", "Exists"), labels));
        Assert.False(LabelSelectors.Matches(Expression("app", "DoesNotExist"), labels));
    }

    private static V1LabelSelector Expression(string key, string op, params string[] values) =>
        new() { MatchExpressions = [new V1LabelSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values }] };
}
