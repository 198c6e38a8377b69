using System.Globalization;
using Archiver.Host.Adapters;
using Archiver.Mongo.Connections;
using MongoDB.Driver;
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

    [Theory]
    [InlineData("ten seconds")]
    [InlineData("0s")]
    public async Task Run_with_a_status_interval_that_is_no_positive_duration_is_a_usage_error(string interval)
    {
        var run = await CliRun.RunAsync("run", "--status-interval", interval);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--status-interval", run.Error);
    }

    [Theory]
    [InlineData(new string[0], "a shared resource store (--kubeconfig or --in-cluster", "a shared journal (--postgres")]
    [InlineData(new[] { "--postgres", "Host=127.0.0.1;Username=x" }, "a shared resource store (--kubeconfig or --in-cluster", null)]
    [InlineData(new[] { "--kubeconfig", "/tmp/archiver-no-such-kubeconfig" }, "a shared journal (--postgres", null)]
    public async Task Run_joining_a_cluster_without_a_shared_store_and_journal_is_refused_before_it_joins(string[] extra, string needs, string? alsoNeeds)
    {
        var data = Directory.CreateTempSubdirectory("archiver-run-").FullName;
        try
        {
            var run = await CliRun.RunAsync(["run", "--data", data, "--http-port", "0", "--seed", "akka.tcp://archiver@127.0.0.1:4053", .. extra]);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains(needs, run.Error, StringComparison.Ordinal);
            if (alsoNeeds is not null) Assert.Contains(alsoNeeds, run.Error, StringComparison.Ordinal);
            else Assert.DoesNotContain(" and a shared", run.Error, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(data, "journal.db")), "nothing may start before the refusal");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Run_bound_beyond_loopback_without_a_token_is_refused()
    {
        var data = Directory.CreateTempSubdirectory("archiver-run-").FullName;
        try
        {
            var run = await CliRun.RunAsync("run", "--data", data, "--http-host", "0.0.0.0", "--http-port", "0");

            // A command line that cannot work: refused as such, before anything binds.
            Assert.Equal(2, run.ExitCode);
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
    public async Task The_emulator_with_tls_writes_a_client_certificate_secret_that_reaches_it()
    {
        var folder = Path.Combine(Directory.CreateTempSubdirectory("archiver-emulator-tls-").FullName, "mg-rs-client-cert");
        var port = FreePort();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = CliRun.RunAsync(stop.Token, "emulator", "mongodb", "--port", port.ToString(CultureInfo.InvariantCulture), "--tls-client-secret", folder);
        string ReadKey(string key) => File.ReadAllText(Path.Combine(folder, key));
        while (!File.Exists(Path.Combine(folder, "tls.key")) || ReadKey("tls.key").Length == 0)
        {
            if (running.IsCompleted) Assert.Fail($"the emulator stopped before writing its certificates: {await running}");
            await Task.Delay(50, stop.Token);
        }

        var settings = MongoClientSettings.FromConnectionString($"mongodb://127.0.0.1:{port}/?replicaSet=rs0");
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(10);
        var client = new MongoClient(MongoTls.Apply(settings, new MongoTlsMaterial(ReadKey("ca.crt"), ReadKey("tls.crt"), ReadKey("tls.key"))));
        try
        {
            Assert.Equal("rs0", await MongoConnections.ReplicaSetNameAsync(client, stop.Token));
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            await stop.CancelAsync();
        }

        var run = await running;
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"mongodb://127.0.0.1:{port}/?replicaSet=rs0&tls=true", run.Output, StringComparison.Ordinal);
        Assert.Contains($"TLS only; the CA and a client certificate (CN=root,O=kubedb:client) are in {folder}", run.Output, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_emulator_refuses_an_empty_oplog()
    {
        var run = await CliRun.RunAsync("emulator", "mongodb", "--oplog-size", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--oplog-size must be at least 1", run.Error);
    }
}
