namespace Archiver.Host.Tests.Metrics;

/// <summary>The test's exposition parser is strict: what the format forbids fails, so a scrape it accepts is well formed.</summary>
public sealed class PrometheusTextTests
{
    private const string Good = """
        # TYPE up gauge
        # HELP up Whether it is up.
        up{job="a",path="C:\\x \"q\""} 1
        # TYPE took_seconds histogram
        took_seconds_bucket{le="0.1"} 1
        took_seconds_bucket{le="+Inf"} 2
        took_seconds_sum 0.35
        took_seconds_count 2
        # TYPE sent_bytes_total counter
        sent_bytes_total 1.5e3 1700000000000

        """;

    [Fact]
    public void A_well_formed_exposition_is_read_with_its_types_labels_and_values()
    {
        var text = PrometheusText.Parse(Good.Replace("\r", "", StringComparison.Ordinal));

        Assert.Equal("histogram", text.FamilyTypes["took_seconds"]);
        Assert.Equal("C:\\x \"q\"", text.Find("up").Single().Label("path"));
        Assert.Equal(1500, text.Single("sent_bytes_total"));
        Assert.Equal(2, text.Single("took_seconds_bucket", ("le", "+Inf")));
    }

    [Theory]
    [InlineData("up 1", "does not end with a line feed")]
    [InlineData("up{job=\"a\"} one\n", "is not a value")]
    [InlineData("up{job=a} 1\n", "has no =\"")]
    [InlineData("up{job=\"a\",job=\"b\"} 1\n", "given twice")]
    [InlineData("up 1\nup 2\n", "given twice")]
    [InlineData("9up 1\n", "no metric name")]
    [InlineData("up{job=\"a\\t\"} 1\n", "is not allowed")]
    [InlineData("# TYPE up gauge\n# TYPE up gauge\nup 1\n", "a second TYPE")]
    [InlineData("up 1\n# TYPE up gauge\n", "TYPE after samples")]
    [InlineData("# TYPE up meter\nup 1\n", "not a known type")]
    [InlineData("a 1\nb 1\na{x=\"1\"} 1\n", "not together")]
    [InlineData("# TYPE t histogram\nt_bucket{le=\"1\"} 1\nt_sum 1\nt_count 1\n", "no +Inf bucket")]
    [InlineData("# TYPE t histogram\nt_bucket{le=\"1\"} 2\nt_bucket{le=\"+Inf\"} 1\nt_sum 1\nt_count 1\n", "holds fewer")]
    [InlineData("# TYPE t histogram\nt_bucket{le=\"+Inf\"} 2\nt_sum 1\nt_count 1\n", "_count differs")]
    public void What_the_format_forbids_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));

        Assert.Contains(reason, error.Message);
    }
}
