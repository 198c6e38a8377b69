using Archiver.Host.Node;

namespace Archiver.Host.Tests;

/// <summary><c>archiver run</c> and <c>archiver emulator</c>: what they refuse, and a token-protected node.</summary>
public sealed class NodeCommandTests
{
    [Fact]
    public async Task Run_against_a_missing_kubeconfig_fails_and_says_why()
    {
        var data = Directory.CreateTempSubdirectory("archiver-run-").FullName;
        try
        {
            var run = await CliRun.RunAsync("run", "--data", data, "--http-port", "0", "--kubeconfig", "/tmp/archiver-no-such-kubeconfig");

            Assert.Equal(3, run.ExitCode);
            Assert.Contains("archiver-no-such-kubeconfig", run.Error);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Run_with_both_a_kubeconfig_and_in_cluster_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("run", "--kubeconfig", "/tmp/none", "--in-cluster");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--in-cluster", run.Error);
    }

    [Fact]
    public async Task Run_bound_beyond_loopback_without_a_token_is_refused()
    {
        var data = Directory.CreateTempSubdirectory("archiver-run-").FullName;
        try
        {
            var run = await CliRun.RunAsync("run", "--data", data, "--http-host", "0.0.0.0", "--http-port", "0");

            Assert.Equal(3, run.ExitCode);
            Assert.Contains("give it a token", run.Error);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_token_protected_node_answers_only_with_the_token()
    {
        var data = Directory.CreateTempSubdirectory("archiver-token-").FullName;
        try
        {
            await using (var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = data, HttpPort = 0, Token = "s3cret" }))
            {
                var without = await CliRun.RunAsync("get", "backupstorage", "--node", node.Address.ToString());
                var with = await CliRun.RunAsync("get", "backupstorage", "--node", node.Address.ToString(), "--token", "s3cret");

                Assert.Equal(4, without.ExitCode);
                Assert.Contains("requires a token", without.Error);
                Assert.True(with.ExitCode == 0, with.ToString());
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_emulator_prints_its_connection_string_and_stops_on_cancel()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        var run = await CliRun.RunAsync(stop.Token, "emulator", "mongodb", "--port", "0", "--oplog-size", "8");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"MongoDB emulator \(replica set rs0, oplog 8 MiB\): mongodb://127\.0\.0\.1:\d+/\?replicaSet=rs0", run.Output);
    }

    [Fact]
    public async Task The_emulator_refuses_an_empty_oplog()
    {
        var run = await CliRun.RunAsync("emulator", "mongodb", "--oplog-size", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--oplog-size must be at least 1", run.Error);
    }
}
