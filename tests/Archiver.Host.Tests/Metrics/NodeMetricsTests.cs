using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Archiver.Messages.Validation;

namespace Archiver.Host.Tests.Metrics;

/// <summary>
/// /metrics of a running embedded node archiving a database (the demo's examples, a full backup taken), scraped over
/// HTTP and read with a strict parser of the text format: the values are those <c>archiver get -o wide</c> prints at
/// the same moment.
/// </summary>
public sealed partial class NodeMetricsTests(RunningNode fixture) : IClassFixture<RunningNode>
{
    private static readonly (string, string)[] Database = [("namespace", RunningNode.Database.Namespace), ("database", RunningNode.Database.Name)];

    [Fact]
    public async Task The_node_exports_each_databases_lag_headroom_backup_and_recoverable_span_as_get_wide_prints_them()
    {
        // A status written between the scrape and the table would make them differ for a good reason: the table is read
        // before and after the scrape, and only a scrape between two equal tables is compared.
        for (var attempt = 0; ; attempt++)
        {
            var before = await WideRowAsync();
            var metrics = await ScrapeAsync(fixture.Node.Address);
            var after = await WideRowAsync();
            if (!before.SequenceEqual(after) && attempt < 10) continue;
            Assert.Equal(before, after);

            var row = before;
            Assert.Equal(1, metrics.Single("archiver_database_phase", [.. Database, ("phase", row["PHASE"])]));
            Assert.Equal(0, metrics.Find("archiver_database_phase", Database).Where(s => s.Label("phase") != row["PHASE"]).Sum(s => s.Value));
            Assert.Equal(Seconds(row["LAG"]), metrics.Single("archiver_database_lag_seconds", Database), 6);
            Assert.Equal(Seconds(row["HEADROOM"]), metrics.Single("archiver_database_oplog_headroom_seconds", Database), 6);
            Assert.Equal(Unix(row["LAST BACKUP"]), metrics.Single("archiver_database_full_backup_last_success_timestamp_seconds", Database), 3);
            var recoverable = row["RECOVERABLE"].Split(" .. ");
            Assert.Equal(Unix(recoverable[0]), metrics.Single("archiver_database_recoverable_start_timestamp_seconds", Database), 3);
            Assert.Equal(Unix(recoverable[1]), metrics.Single("archiver_database_recoverable_end_timestamp_seconds", Database), 3);
            // One window since the backup: its span is the whole recoverable range.
            Assert.Equal(Unix(recoverable[1]) - Unix(recoverable[0]), metrics.Single("archiver_database_recoverable_window_span_seconds", Database), 3);
            Assert.Equal(30, metrics.Single("archiver_database_lag_threshold_seconds", Database));
            Assert.Equal(1, metrics.Single("archiver_database_full_backups_total", [.. Database, ("outcome", "succeeded")]));
            Assert.True(metrics.Single("archiver_database_full_backup_last_size_bytes", Database) > 0);
            Assert.True(metrics.Single("archiver_database_last_archived_timestamp_seconds", Database) >= Unix(recoverable[0]));
            break;
        }
    }

    [Fact]
    public async Task The_node_exports_its_entities_ops_requests_cluster_members_and_the_oplog_it_archives()
    {
        var metrics = await ScrapeAsync(fixture.Node.Address);

        Assert.Equal(1, metrics.Single("archiver_node_entities", ("kind", "database")));
        Assert.Equal(1, metrics.Single("archiver_node_entities", ("kind", "archiver")));
        Assert.Equal(1, metrics.Single("archiver_cluster_members", ("status", "Up"), ("unreachable", "false")));
        Assert.Equal("histogram", metrics.FamilyTypes["archiver_oplog_chunk_upload_duration_seconds"]);
        var labels = Database;
        Assert.True(metrics.Single("archiver_oplog_chunk_upload_bytes_total", labels) > 0);
        Assert.Equal(metrics.Single("archiver_oplog_chunks_uploaded_total", labels), metrics.Single("archiver_oplog_chunk_upload_duration_seconds_count", labels));
        // Bounded labels: a database is its namespace and name (and component); nothing names a chunk or a request.
        var allowed = new HashSet<string> { "namespace", "database", "component", "phase", "outcome", "kind", "status", "unreachable", "le", "otel_scope_name" };
        Assert.All(metrics.Samples.Where(s => s.Name.StartsWith("archiver_", StringComparison.Ordinal)), s => Assert.Subset(allowed, s.Labels.Keys.ToHashSet()));
    }

    /// <summary>/metrics as Prometheus scrapes it (asking for the text format), parsed strictly.</summary>
    internal static async Task<PrometheusText> ScrapeAsync(Uri node)
    {
        using var http = new HttpClient { BaseAddress = node };
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain") { Parameters = { new NameValueHeaderValue("version", "0.0.4") } });
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The database's row of <c>archiver get mongodb -o wide</c>, by column header.</summary>
    private async Task<Dictionary<string, string>> WideRowAsync()
    {
        var run = await CliRun.RunAsync("get", "mongodb", "-n", RunningNode.Database.Namespace, "-o", "wide", "--node", fixture.Address);
        Assert.True(run.ExitCode == 0, run.ToString());
        var headers = Columns().Split(run.OutputLines[0].Trim());
        var row = run.OutputLines.Skip(1).Select(l => Columns().Split(l.Trim())).SingleOrDefault(cells => cells[1] == RunningNode.Database.Name);
        Assert.True(row is not null, run.Output);
        Assert.True(headers.Length == row!.Length, run.Output);
        return headers.Zip(row, (header, cell) => (header, cell)).ToDictionary(c => c.header, c => c.cell);
    }

    private static double Seconds(string goDuration) => GoDuration.TryParse(goDuration, out var value, out var problem) ? value.TotalSeconds : throw new FormatException(problem);

    private static double Unix(string time) => DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0;

    // Columns are padded by three spaces or more; a cell never holds two spaces in a row.
    [GeneratedRegex(" {2,}")]
    private static partial Regex Columns();
}
