using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using YamlDotNet.RepresentationModel;

namespace Archiver.Host.Tests.Metrics;

/// <summary>
/// deploy/monitoring: the four alerts are there as the issue asks, the scrapes reach what the nodes and sidecars
/// serve, and every metric a rule or a dashboard panel names is one a running node exports (after it has archived,
/// backed up and restored a database, so every family has a series).
/// </summary>
public sealed partial class MonitoringManifestTests(RunningNode fixture) : IClassFixture<RunningNode>
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "monitoring");

    [Fact]
    public void The_rules_alert_on_lag_over_the_rpo_low_headroom_an_overdue_full_backup_and_a_failed_restore_each_explained_and_held()
    {
        var rules = Rules().ToDictionary(r => ((YamlScalarNode)r["alert"]).Value!);

        Assert.Equal(["ArchiverFullBackupOverdue", "ArchiverLagOverRPO", "ArchiverOplogHeadroomLow", "ArchiverRestoreFailed"], rules.Keys.Order(StringComparer.Ordinal));
        Assert.All(rules.Values, rule =>
        {
            Assert.Matches("^[0-9]+[smh]$", ((YamlScalarNode)rule["for"]).Value);
            var annotations = (YamlMappingNode)rule["annotations"];
            Assert.NotEmpty(((YamlScalarNode)annotations["summary"]).Value!);
            Assert.NotEmpty(((YamlScalarNode)annotations["description"]).Value!);
        });
        Assert.Contains("archiver_database_lag_threshold_seconds", Expr(rules["ArchiverLagOverRPO"]));
        Assert.Contains("2 * ", Expr(rules["ArchiverFullBackupOverdue"]));
        Assert.Contains("phase=\"RestoreFailed\"", Expr(rules["ArchiverRestoreFailed"]));
    }

    [Fact]
    public void The_service_monitor_scrapes_the_nodes_service_on_its_http_port_with_the_nodes_token()
    {
        var monitors = Documents("servicemonitor.yaml");
        var service = Load(Path.Combine(AppContext.BaseDirectory, "statefulset", "statefulset.yaml")).Single(d => Scalar(d, "kind") == "Service");
        var monitor = monitors.Single(d => Scalar(d, "kind") == "ServiceMonitor");

        var selector = (YamlMappingNode)Node(monitor, "spec", "selector", "matchLabels");
        var labels = (YamlMappingNode)Node(service, "metadata", "labels");
        Assert.All(selector.Children, l => Assert.Equal(((YamlScalarNode)l.Value).Value, ((YamlScalarNode)labels[l.Key]).Value));
        var endpoint = (YamlMappingNode)((YamlSequenceNode)Node(monitor, "spec", "endpoints"))[0];
        Assert.Equal("/metrics", Scalar(endpoint, "path"));
        // The series' own namespace label (the database's) must survive the scrape, not become exported_namespace.
        Assert.Equal("true", Scalar(endpoint, "honorLabels"));
        Assert.Contains(((YamlSequenceNode)Node(service, "spec", "ports")).Cast<YamlMappingNode>(), p => Scalar(p, "name") == Scalar(endpoint, "port"));
        Assert.Equal("archiver-token", Scalar((YamlMappingNode)Node(endpoint, "authorization", "credentials"), "name"));
        var pods = monitors.Single(d => Scalar(d, "kind") == "PodMonitor");
        var podEndpoint = (YamlMappingNode)((YamlSequenceNode)Node(pods, "spec", "podMetricsEndpoints"))[0];
        Assert.Equal("archiver-prom", Scalar(podEndpoint, "port"));
        Assert.Equal("true", Scalar(podEndpoint, "honorLabels"));
    }

    [Fact]
    public async Task Every_metric_the_rules_and_the_dashboard_name_is_exported_by_a_running_node()
    {
        var named = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in Rules()) named.UnionWith(MetricNames(Expr(rule)));
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Folder, "grafana-dashboard.json")))!;
        foreach (var target in dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray())) named.UnionWith(MetricNames(target!["expr"]!.GetValue<string>()));
        foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => v!["type"]!.GetValue<string>() == "query"))
        {
            named.Add(LabelValues().Match(variable!["definition"]!.GetValue<string>()).Groups[1].Value);
        }

        Assert.True(named.Count >= 20, string.Join(", ", named));
        await RestoreACopyAsync();
        var exported = (await NodeMetricsTests.ScrapeAsync(fixture.Node.Address)).Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        var missing = named.Where(n => !exported.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"named by deploy/monitoring but not exported: {string.Join(", ", missing)}");
    }

    /// <summary>The PromQL metric names in <paramref name="expr"/>: identifiers not in strings, selectors, ranges or groupings, not called, not keywords.</summary>
    internal static IEnumerable<string> MetricNames(string expr)
    {
        var bare = Grouping().Replace(Ranges().Replace(Selectors().Replace(Strings().Replace(expr, ""), ""), ""), "");
        return Identifier().Matches(bare).Where(m => !m.Groups["call"].Success).Select(m => m.Groups["name"].Value)
            .Where(n => n is not ("and" or "or" or "unless" or "bool" or "offset" or "Inf" or "NaN" or "inf" or "nan"));
    }

    /// <summary>Restores the fixture's database into a new one, so the restore families have series too.</summary>
    private async Task RestoreACopyAsync()
    {
        await using var target = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        fixture.Node.Secrets.Write(new ResourceId("demo", "mg-rs-copy"), MongoConnections.UriKey, target.ConnectionString);
        var windows = (await fixture.Node.Store.GetAsync<Messages.Resources.MongoDB>(RunningNode.Database))!.Status!.Archiver!.RecoverableWindows!;
        var restore = await CliRun.RunAsync("restore", RunningNode.Database.ToString(), "--at", Messages.Validation.Rfc3339.Format(windows[^1].End!.Value), "--into", "demo/mg-rs-copy",
            "--connection-secret", "mg-rs-copy", "--timeout", "60", "--node", fixture.Address);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(20);
        PrometheusText metrics;
        while ((metrics = await NodeMetricsTests.ScrapeAsync(fixture.Node.Address)).Find("archiver_database_restore_progress_ratio", ("database", "mg-rs-copy")) is not [{ Value: 1 }])
        {
            Assert.True(DateTime.UtcNow < deadline, "the restored copy's progress never reached 1 on /metrics: "
                + string.Join("; ", metrics.Samples.Where(s => s.Label("database") == "mg-rs-copy" && s.Name.Contains("restore", StringComparison.Ordinal)).Select(s => $"{s.Name} {s.Value}")));
            await Task.Delay(100);
        }

        Assert.Equal(DatabaseArchiverPhase.Restored, (await fixture.Node.Store.GetAsync<Messages.Resources.MongoDB>(new ResourceId("demo", "mg-rs-copy")))!.Status!.Archiver!.Phase);
    }

    private static IEnumerable<YamlMappingNode> Rules() =>
        Documents("prometheusrule.yaml").Single(d => Scalar(d, "kind") == "PrometheusRule") is var rule
            ? ((YamlSequenceNode)Node(rule, "spec", "groups")).Cast<YamlMappingNode>().SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            : [];

    private static string Expr(YamlMappingNode rule) => ((YamlScalarNode)rule["expr"]).Value!;

    private static List<YamlMappingNode> Documents(string file) => Load(Path.Combine(Folder, file));

    private static List<YamlMappingNode> Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(path));
        yaml.Load(reader);
        return [.. yaml.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlNode Node(YamlMappingNode map, params string[] path) =>
        path.Aggregate((YamlNode)map, (node, key) => ((YamlMappingNode)node)[key]);

    private static string? Scalar(YamlMappingNode map, params string[] path) => ((YamlScalarNode)Node(map, path)).Value;

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selectors();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w$.])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex LabelValues();
}
