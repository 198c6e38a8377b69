using System.Net;
using System.Net.Sockets;

namespace Archiver.Host.Tests.Inspection;

/// <summary>pbm-scripts run with bash end to end: the built <c>archiver</c> executable against a started node.</summary>
[Collection(InspectionCollection.Name)]
public sealed class PbmScriptTests(InspectionNode fixture)
{
    private static string Script(string name) => Path.Combine(InspectionNode.ExecutableFolder, "pbm-scripts", name);

    private Task<ProcessRun> RunAsync(string script, params string[] args) => RunAtAsync(fixture.Url, script, args);

    private static Task<ProcessRun> RunAtAsync(string node, string script, params string[] args) =>
        ProcessRun.RunAsync("bash", [Script(script), .. args], new Dictionary<string, string>
        {
            ["ARCHIVER"] = Path.Combine(InspectionNode.ExecutableFolder, OperatingSystem.IsWindows() ? "archiver.exe" : "archiver"),
            ["ARCHIVER_NODE"] = node,
            ["ARCHIVER_TOKEN"] = "",
        });

    [Fact]
    public async Task Cluster_health_passes_on_a_healthy_cluster_of_one()
    {
        var run = await RunAsync("cluster-health.sh");
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Matches(@"^healthy: 1 member\(s\) Up, none unreachable; leader akka\.tcp://archiver@127\.0\.0\.1:\d+$", Assert.Single(run.OutputLines));
    }

    [Fact]
    public async Task Cluster_health_exits_4_when_the_node_does_not_answer()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var run = await RunAtAsync($"http://127.0.0.1:{port}", "cluster-health.sh");
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("cannot reach the node", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Where_is_names_the_member_the_shard_and_the_phase()
    {
        var run = await RunAsync("where-is.sh", "database", "shop/orders");
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Matches(@"^database shop/orders: on akka\.tcp://archiver@127\.0\.0\.1:\d+ \(shard \d+\), phase Archiving, \d+ event\(s\)$", Assert.Single(run.OutputLines));

        var unknown = await RunAsync("where-is.sh", "opsrequest", "shop/nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no opsrequest entity shop/nope", unknown.Error, StringComparison.Ordinal);

        var usage = await RunAsync("where-is.sh", "database");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("usage: where-is.sh KIND NAMESPACE/NAME", usage.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stuck_opsrequests_lists_only_the_non_terminal_ones_older_than_asked()
    {
        // The stuck request must be older than the threshold: the store keeps creation times to the second.
        var wait = fixture.StuckCreatedAt + TimeSpan.FromSeconds(3) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);

        var stuck = await RunAsync("stuck-opsrequests.sh", "--older-than", "1s");
        Assert.Equal(1, stuck.ExitCode);
        Assert.Matches(
            $@"^shop/{InspectionNode.StuckOpsRequest}  database ghost  ConfigureArchiver  Progressing for \d+[smhd]: waiting for the oplog archiver$",
            Assert.Single(stuck.OutputLines));
        Assert.Contains("1 ops request(s) not terminal after 1s", stuck.Error, StringComparison.Ordinal);

        var fresh = await RunAsync("stuck-opsrequests.sh", "--older-than", "1h");
        Assert.Equal(0, fresh.ExitCode);
        Assert.Equal("no ops request has been pending or progressing for more than 1h", Assert.Single(fresh.OutputLines));

        var elsewhere = await RunAsync("stuck-opsrequests.sh", "--older-than", "1s", "--namespace", "reports");
        Assert.Equal(0, elsewhere.ExitCode);

        var bad = await RunAsync("stuck-opsrequests.sh", "--older-than", "ten minutes");
        Assert.Equal(2, bad.ExitCode);
    }

    [Theory]
    [InlineData("cluster-health.sh")]
    [InlineData("where-is.sh")]
    [InlineData("stuck-opsrequests.sh")]
    public async Task Every_script_explains_itself(string script)
    {
        var run = await RunAsync(script, "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith($"Usage: {script}", run.Output, StringComparison.Ordinal);
        Assert.Contains("Example", run.Output, StringComparison.Ordinal);
    }
}
