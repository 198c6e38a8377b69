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
    public async Task A_workload_too_small_to_prove_anything_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("demo", "--documents", "3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--documents must be between 10 and 1000000", run.Error);
    }
}
