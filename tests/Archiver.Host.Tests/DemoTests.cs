namespace Archiver.Host.Tests;

/// <summary><c>archiver demo</c> end to end, as a new user runs it: the verification it prints is asserted.</summary>
public sealed partial class DemoTests
{
    [Fact]
    public async Task The_demo_restores_a_new_database_equal_to_the_source_at_a_time_between_two_rounds_of_writes()
    {
        var data = Directory.CreateTempSubdirectory("archiver-demo-test-").FullName;
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var demo = RunningCli.Start(cancel.Token, "demo", "--data", data, "--documents", "500");
            // While it runs, once its database has a full backup: the node's /metrics, parsed, agrees with what
            // `archiver get -o wide` prints at the same moment (docs/metrics.md).
            var node = await NodeOfAsync(demo, cancel.Token);
            while (await Metrics.NodeMetricsTests.WideRowAsync(node, Source) is var row && (row.GetValueOrDefault("LAST BACKUP", "-") == "-" || row.GetValueOrDefault("RECOVERABLE", "-") == "-"))
            {
                await Task.Delay(100, cancel.Token);
            }

            var (agreed, _) = await Metrics.NodeMetricsTests.AgreeingWithGetWideAsync(node, Source, tries: 50);
            var run = await demo.Completion;

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("Archiving", agreed["PHASE"]);
            var verified = run.OutputLines[^1];
            Assert.StartsWith("verified: demo/mg-rs-restored (shop) equals demo/mg-rs (shop) as it was at ", verified);
            Assert.Contains("3 collections", verified);
            Assert.Contains("and differs from the source now", verified);
            // The demo printed the state it compared against before round 2 and the restored state after; both name the same digest.
            var digest = verified.Split("sha256 ")[1][..16];
            Assert.Contains(run.OutputLines, l => l.Contains("round 1:", StringComparison.Ordinal) && l.Contains(digest, StringComparison.Ordinal));
            Assert.Contains(run.OutputLines, l => l.Contains("restored demo/mg-rs-restored: 3 collections", StringComparison.Ordinal) && l.Contains(digest, StringComparison.Ordinal));
            // The source's and the restored database's Events, as `archiver describe` prints them through the node's API.
            Assert.Contains(run.OutputLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+Normal\s+BackupSucceeded\s+\S+\s+archiver\s+full backup \S+ succeeded in \S+, [\d.]+ (B|KiB|MiB) stored$"));
            Assert.Contains(run.OutputLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+Normal\s+RestoreStarted\s+\S+\s+archiver\s+restoring to "));
            Assert.Contains(run.OutputLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+Normal\s+Restored\s+\S+\s+archiver\s+restored to .*: full backup \S+ and [\d,]+ oplog entries$"));
            // --data keeps the folder: journal, backups and the applied manifests are there for a look afterwards.
            Assert.True(File.Exists(Path.Combine(data, "journal.db")));
            Assert.True(Directory.EnumerateFiles(Path.Combine(data, "backups"), "*.oplog", SearchOption.AllDirectories).Any());
            Assert.True(File.Exists(Path.Combine(data, "manifests", "archiver.yaml")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    private static readonly Messages.Protocol.ResourceId Source = new("demo", "mg-rs");

    /// <summary>The demo's embedded node, from the line it prints once the node runs.</summary>
    private static async Task<Uri> NodeOfAsync(RunningCli demo, CancellationToken cancellation)
    {
        while (true)
        {
            if (demo.Lines().Select(l => NodeLine().Match(l)).FirstOrDefault(m => m.Success) is { } found) return new Uri(found.Groups[1].Value);
            if (demo.Completion.IsCompleted) throw new InvalidOperationException($"the demo ended before its node ran: {await demo.Completion}");
            await Task.Delay(50, cancellation);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\] embedded node on (http://[^ ]+/) ")]
    private static partial System.Text.RegularExpressions.Regex NodeLine();

    [Fact]
    public async Task The_sharded_demo_restores_a_cluster_equal_to_the_source_at_a_moment_with_a_migration_in_flight()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await RunningCli.Start(cancel.Token, "demo", "--sharded", "--documents", "300").Completion;

        Assert.True(run.ExitCode == 0, run.ToString());
        var verified = run.OutputLines[^1];
        Assert.StartsWith("verified: demo/mg-sh-restored equals demo/mg-sh (a sharded cluster of 3 shards) as it was at ", verified);
        Assert.Contains("with a migration in flight and transactions across shards", verified);
        var digest = verified.Split("sha256 ")[1][..16];
        Assert.Contains(run.OutputLines, l => l.Contains("round 1:", StringComparison.Ordinal) && l.Contains("not committed", StringComparison.Ordinal) && l.Contains(digest, StringComparison.Ordinal));
        // The plan replays every replica set's own oplog: the config server's and each shard's.
        Assert.Contains(run.OutputLines, l => l.Trim() == "components    configRepl, shard0, shard1, shard2");
        // The copies the in-flight migration had cloned came back as orphans of the restored cluster, never read twice.
        Assert.Contains(run.OutputLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"restored demo/mg-sh-restored: .* customers on the shards: .*\b[1-9][\d,]* orphans"));
    }

    [Fact]
    public async Task The_demo_keeps_its_backups_in_gcs_when_asked_and_restores_from_there()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await RunningCli.Start(cancel.Token, "demo", "--storage", "gcs", "--documents", "300").Completion;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("backups in GCS bucket archiver-demo", run.OutputLines[^1]);
        Assert.Contains(run.OutputLines, l => l.Contains("GCS stand-in (src/Emulators/Gcs) at http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(run.OutputLines, l => l.Contains("manifests/storage-gcs.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sharded_demo_refuses_the_options_it_cannot_honour()
    {
        var run = await CliRun.RunAsync("demo", "--sharded", "--driver", "CSISnapshotter");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--sharded runs on the embedded node with the sharded emulator", run.Error);
    }

    [Fact]
    public async Task A_workload_too_small_to_prove_anything_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("demo", "--documents", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--documents must be between 10 and 1000000", run.Error);
    }
}
