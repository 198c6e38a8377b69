using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Archiver.Messages.Protocol;
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
        var (row, metrics) = await AgreeingWithGetWideAsync(fixture.Node.Address, RunningNode.Database);

        var recoverable = row["RECOVERABLE"].Split(" .. ");
        // One window since the backup: its span is the whole recoverable range.
        Assert.Equal(Unix(recoverable[1]) - Unix(recoverable[0]), metrics.Single("archiver_database_recoverable_window_span_seconds", Database), 3);
        Assert.Equal(30, metrics.Single("archiver_database_lag_threshold_seconds", Database));
        Assert.Equal(1, metrics.Single("archiver_database_full_backups_total", [.. Database, ("outcome", "succeeded")]));
        Assert.True(metrics.Single("archiver_database_full_backup_last_size_bytes", Database) > 0);
        Assert.True(metrics.Single("archiver_database_last_archived_timestamp_seconds", Database) >= Unix(recoverable[0]));
    }

    /// <summary>
    /// Scrapes <paramref name="node"/>'s /metrics and reads <c>archiver get mongodb -o wide</c> at the same moment, and
    /// asserts the database's phase, lag, headroom, last backup and recoverable span agree; returns both. A status written
    /// between the scrape and the table would make them differ for a good reason: the table is read before and after the
    /// scrape, and only a scrape between two equal tables is compared (a few tries, while the status moves).
    /// </summary>
    internal static async Task<(Dictionary<string, string> Row, PrometheusText Metrics)> AgreeingWithGetWideAsync(Uri node, ResourceId database, int tries = 10)
    {
        (string, string)[] labels = [("namespace", database.Namespace), ("database", database.Name)];
        for (var attempt = 1; ; attempt++)
        {
            var before = await WideRowAsync(node, database);
            var metrics = await ScrapeAsync(node);
            var after = await WideRowAsync(node, database);
            if (!before.SequenceEqual(after) && attempt < tries) continue;
            Assert.Equal(before, after);
            Assert.True(before.Count > 0, $"{database} is not listed by archiver get");

            var row = before;
            Assert.Equal(1, metrics.Single("archiver_database_phase", [.. labels, ("phase", row["PHASE"])]));
            Assert.Equal(0, metrics.Find("archiver_database_phase", labels).Where(s => s.Label("phase") != row["PHASE"]).Sum(s => s.Value));
            Same(row["LAG"], Seconds, "archiver_database_lag_seconds", 6);
            Same(row["HEADROOM"], Seconds, "archiver_database_oplog_headroom_seconds", 6);
            Same(row["LAST BACKUP"], Unix, "archiver_database_full_backup_last_success_timestamp_seconds", 3);
            var recoverable = row["RECOVERABLE"] == "-" ? ["-", "-"] : row["RECOVERABLE"].Split(" .. ");
            Same(recoverable[0], Unix, "archiver_database_recoverable_start_timestamp_seconds", 3);
            Same(recoverable[1], Unix, "archiver_database_recoverable_end_timestamp_seconds", 3);
            return (row, metrics);

            // A value the table shows is the metric's; one it shows as "-" (none in the status) is not exported.
            void Same(string cell, Func<string, double> parse, string metric, int precision)
            {
                if (cell == "-") Assert.Empty(metrics.Find(metric, labels));
                else Assert.Equal(parse(cell), metrics.Single(metric, labels), precision);
            }
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
        var allowed = new HashSet<string> { "namespace", "database", "component", "phase", "outcome", "kind", "action", "status", "unreachable", "le", "otel_scope_name" };
        Assert.All(metrics.Samples.Where(s => s.Name.StartsWith("archiver_", StringComparison.Ordinal)), s => Assert.Subset(allowed, s.Labels.Keys.ToHashSet()));
    }

    [Fact]
    public async Task The_node_exports_what_the_databases_history_holds_in_the_storage_as_its_status_says()
    {
        // The status moves with every upload: compared on a scrape taken between two equal reads of it.
        for (var attempt = 0; ; attempt++)
        {
            var before = (await fixture.Node.Store.GetAsync<Messages.Resources.MongoDB>(RunningNode.Database))?.Status?.Archiver?.Storage;
            var metrics = await ScrapeAsync(fixture.Node.Address);
            var after = (await fixture.Node.Store.GetAsync<Messages.Resources.MongoDB>(RunningNode.Database))?.Status?.Archiver?.Storage;
            if (before is { Count: > 0 } && after is not null && before.SequenceEqual(after))
            {
                var rs = Assert.Single(before);
                (string, string)[] oplog = [.. Database, ("component", rs.Component!), ("kind", "oplog")];
                (string, string)[] backups = [.. Database, ("component", rs.Component!), ("kind", "full_backup")];
                Assert.Equal(rs.OplogObjects!.Value, metrics.Single("archiver_database_storage_objects", oplog));
                Assert.Equal(rs.OplogBytes!.Value, metrics.Single("archiver_database_storage_size_bytes", oplog));
                Assert.Equal(rs.BackupObjects!.Value, metrics.Single("archiver_database_storage_objects", backups));
                Assert.Equal(rs.BackupBytes!.Value, metrics.Single("archiver_database_storage_size_bytes", backups));
                Assert.True(rs.OplogObjects > 0 && rs.BackupObjects > 0, $"{rs}");
                return;
            }

            Assert.True(attempt < 50, $"status.archiver.storage never held still for a scrape: {before?.FirstOrDefault()} then {after?.FirstOrDefault()}");
            await Task.Delay(100);
        }
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

    /// <summary>The database's row of <c>archiver get mongodb -o wide</c>, by column header; empty while it is not listed.</summary>
    internal static async Task<Dictionary<string, string>> WideRowAsync(Uri node, ResourceId database)
    {
        var run = await CliRun.RunAsync("get", "mongodb", "-n", database.Namespace, "-o", "wide", "--node", node.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var row = run.OutputLines.Skip(1).Select(l => Columns().Split(l.Trim())).SingleOrDefault(cells => cells[1] == database.Name);
        if (row is null) return [];
        var headers = Columns().Split(run.OutputLines[0].Trim());
        Assert.True(headers.Length == row.Length, run.Output);
        return headers.Zip(row, (header, cell) => (header, cell)).ToDictionary(c => c.header, c => c.cell);
    }

    private static double Seconds(string goDuration) => GoDuration.TryParse(goDuration, out var value, out var problem) ? value.TotalSeconds : throw new FormatException(problem);

    private static double Unix(string time) => DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0;

    // Columns are padded by three spaces or more; a cell never holds two spaces in a row.
    [GeneratedRegex(" {2,}")]
    private static partial Regex Columns();
}
