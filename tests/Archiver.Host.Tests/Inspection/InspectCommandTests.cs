using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Archiver.Host.Tests.Inspection;

/// <summary><c>archiver inspect …</c> against a started node: tables for people, TSV and JSON for scripts, exit codes.</summary>
[Collection(InspectionCollection.Name)]
public sealed class InspectCommandTests(InspectionNode fixture)
{
    private Task<CliRun> InspectAsync(params string[] args) => CliRun.RunAsync(["inspect", .. args, "--node", fixture.Url]);

    [Fact]
    public async Task Members_prints_a_table_and_one_tsv_row_per_member()
    {
        var table = await InspectAsync("members");
        Assert.Equal(0, table.ExitCode);
        Assert.Matches(@"^ADDRESS\s+STATUS\s+REACHABLE\s+LEADER\s+UP SINCE\s+ROLES", table.OutputLines[0]);
        Assert.Matches(@"^akka\.tcp://archiver@127\.0\.0\.1:\d+ \(this node\)\s+Up\s+yes\s+leader\s+", table.OutputLines[1]);
        Assert.StartsWith("1 member(s), 0 unreachable; leader akka.tcp://", table.OutputLines[^1], StringComparison.Ordinal);

        var tsv = await InspectAsync("members", "-o", "tsv");
        var fields = Assert.Single(tsv.OutputLines).Split('\t');
        Assert.Equal(7, fields.Length);
        Assert.Equal(["Up", "yes", "yes", "yes"], fields[1..5]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", fields[5]);
        Assert.Equal("-", fields[6]);
    }

    [Fact]
    public async Task Shards_prints_each_region_with_its_shards()
    {
        var run = await InspectAsync("shards", "-o", "tsv");
        Assert.Equal(0, run.ExitCode);
        var rows = run.OutputLines.Select(l => l.Split('\t')).ToList();
        Assert.Equal(["opsrequest", "archiver", "database", "storageindex"], rows.Select(r => r[0]));
        var archiver = rows.Single(r => r[0] == "archiver");
        Assert.Equal(["1", "1"], archiver[2..4]);
        Assert.Matches(@"^\d+:1$", archiver[4]);

        var table = await InspectAsync("shards");
        Assert.Matches(@"^REGION\s+MEMBER\s+SHARDS\s+ENTITIES\s+SHARD:ENTITIES", table.OutputLines[0]);
        Assert.Contains(table.OutputLines, l => l.StartsWith("database ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Entity_prints_where_it_lives_its_state_and_its_events()
    {
        var name = fixture.ConfigureRequests["orders"];
        var run = await InspectAsync("entity", "opsrequest", $"shop/{name}");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.OutputLines, l => l.StartsWith($"entity           opsrequest shop/{name}", StringComparison.Ordinal));
        Assert.Contains(run.OutputLines, l => l.StartsWith("phase            Successful", StringComparison.Ordinal));
        Assert.Contains(run.OutputLines, l => l.StartsWith("member           akka.tcp://archiver@127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains($"persistence id   opsrequest-shop/{name}", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"phase\": \"Successful\"", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^1\s+\d{4}-\d\d-\d\dT[\d:]+Z\s+OpsRequestAccepted\s+\{""opsRequestId"":""shop/", run.Output);

        var tsv = await InspectAsync("entity", "database", "shop/orders", "-o", "tsv");
        var fields = Assert.Single(tsv.OutputLines).Split('\t');
        Assert.Equal("database", fields[0]);
        Assert.Equal("shop/orders", fields[1]);
        Assert.StartsWith("akka.tcp://archiver@", fields[2], StringComparison.Ordinal);
        Assert.Equal("Archiving", fields[4]);
        Assert.Equal("database-shop/orders", fields[5]);
    }

    [Fact]
    public async Task Json_output_is_the_endpoints_answer()
    {
        var run = await InspectAsync("entity", "archiver", "shop/nightly", "-o", "json");
        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal("archiver-shop/nightly", json.RootElement.GetProperty("persistenceId").GetString());
        Assert.Equal("Current", json.RootElement.GetProperty("phase").GetString());
        Assert.True(json.RootElement.GetProperty("events").GetArrayLength() > 0);
    }

    [Fact]
    public async Task An_unknown_entity_exits_1_with_a_clear_message()
    {
        var run = await InspectAsync("entity", "database", "shop/nope");
        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal("archiver inspect entity: no database entity shop/nope: there is no MongoDB shop/nope and nothing in the journal under database-shop/nope\n", run.Error.Replace("\r", "", StringComparison.Ordinal));

        var kind = await InspectAsync("entity", "widget", "shop/orders");
        Assert.Equal(1, kind.ExitCode);
        Assert.Contains("'widget' is not an entity kind; entities are opsrequest, archiver, database", kind.Error, StringComparison.Ordinal);

        var badId = await InspectAsync("entity", "database", "orders");
        Assert.Equal(2, badId.ExitCode);
        Assert.Contains("'orders' is not namespace/name", badId.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Actors_prints_the_tree_and_tsv_paths()
    {
        var tree = await InspectAsync("actors", "--depth", "2");
        Assert.Equal(0, tree.ExitCode);
        Assert.StartsWith("akka.tcp://archiver@127.0.0.1:", tree.OutputLines[0], StringComparison.Ordinal);
        Assert.Contains(tree.OutputLines, l => l.Contains("sharding (ClusterShardingGuardian)", StringComparison.Ordinal));
        Assert.Contains(tree.OutputLines, l => l.Contains("resource-watcher (ResourceWatcherActor)", StringComparison.Ordinal));

        var tsv = await InspectAsync("actors", "--path", "/system/sharding/database", "--depth", "3", "-o", "tsv");
        Assert.Equal(0, tsv.ExitCode);
        Assert.Equal("/system/sharding/database\tShardRegion", string.Join('\t', tsv.OutputLines[0].Split('\t')[..2]));
        Assert.Contains(tsv.OutputLines, l => l.EndsWith("/shop%2Forders\tDatabaseActor\t0", StringComparison.Ordinal));

        var missing = await InspectAsync("actors", "--path", "/user/nothing-here");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no actor at /user/nothing-here", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Journal_lists_ids_and_prints_one_streams_events()
    {
        var ids = await InspectAsync("journal");
        Assert.Equal(0, ids.ExitCode);
        Assert.Contains("database-shop/orders", ids.OutputLines);

        var events = await InspectAsync("journal", "archiver-shop/nightly");
        Assert.Equal(0, events.ExitCode);
        Assert.Matches(@"^archiver-shop/nightly: \d+ events$", events.OutputLines[0]);
        Assert.Matches(@"^SEQ\s+TIME\s+TYPE\s+EVENT", events.OutputLines[1]);
        Assert.Matches(@"^1\s+\S+\s+ArchiverSpecObserved\s+\{""archiverId"":""shop/nightly""", events.OutputLines[2]);

        var tsv = await InspectAsync("journal", "database-shop/orders", "-o", "tsv");
        // The entity first says which database it is about (its uid), then what it decided for it.
        var first = tsv.OutputLines[0].Split('\t');
        Assert.Equal(("1", "DatabaseIdentified"), (first[0], first[2]));
        var second = tsv.OutputLines[1].Split('\t');
        Assert.Equal(("2", "BackupScheduleSet"), (second[0], second[2]));
        Assert.Equal("shop/nightly", JsonDocument.Parse(second[3]).RootElement.GetProperty("archiverId").GetString());

        var none = await InspectAsync("journal", "no-such-id");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("the journal holds no events for persistence id 'no-such-id'", none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opsrequests_prints_phase_and_age()
    {
        var run = await InspectAsync("opsrequests", "-n", "shop", "-o", "tsv");
        Assert.Equal(0, run.ExitCode);
        var stuck = run.OutputLines.Select(l => l.Split('\t')).Single(f => f[1] == InspectionNode.StuckOpsRequest);
        Assert.Equal(["shop", InspectionNode.StuckOpsRequest, "ghost", "ConfigureArchiver", "Progressing", "no"], stuck[..6]);
        Assert.True(long.TryParse(stuck[6], out _));
        Assert.Equal("waiting for the oplog archiver", stuck[7]);

        var table = await InspectAsync("opsrequests");
        Assert.Matches(@"^NAMESPACE\s+NAME\s+DATABASE\s+OPERATION\s+PHASE\s+AGE\s+MESSAGE", table.OutputLines[0]);
    }

    [Fact]
    public async Task An_unreachable_node_exits_4_and_says_how_to_name_one()
    {
        var url = $"http://127.0.0.1:{ClosedPort()}";
        foreach (var command in new[] { "members", "shards", "actors", "journal", "opsrequests" })
        {
            var run = await CliRun.RunAsync("inspect", command, "--node", url);
            Assert.Equal(4, run.ExitCode);
            Assert.StartsWith($"archiver inspect {command}: cannot reach the node at {url}/: ", run.Error, StringComparison.Ordinal);
            Assert.Contains("Name it with --node or $ARCHIVER_NODE.", run.Error, StringComparison.Ordinal);
        }

        var entity = await CliRun.RunAsync("inspect", "entity", "database", "shop/orders", "--node", url);
        Assert.Equal(4, entity.ExitCode);
    }

    [Fact]
    public async Task A_server_that_is_not_a_node_is_named_as_the_wrong_address()
    {
        // Some other web server on the address: a plain 404, and a 200 that is not our JSON.
        using var listener = new HttpListener();
        var port = ClosedPort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return; // stopped
                }

                var html = context.Request.Url!.AbsolutePath.Contains("members", StringComparison.Ordinal);
                context.Response.StatusCode = html ? 200 : 404;
                await context.Response.OutputStream.WriteAsync("<html>hello</html>"u8.ToArray());
                context.Response.Close();
            }
        });

        var members = await CliRun.RunAsync("inspect", "members", "--node", $"http://127.0.0.1:{port}");
        var get = await CliRun.RunAsync("get", "MongoDB", "--node", $"http://127.0.0.1:{port}");
        listener.Stop();
        await serving;

        Assert.Equal(4, members.ExitCode);
        Assert.Contains("answered something that is not an Archiver node's JSON; is --node right?", members.Error, StringComparison.Ordinal);
        Assert.Equal(4, get.ExitCode);
        Assert.Contains("is --node an Archiver node?", get.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_node_address_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("inspect", "members", "--node", "not a url");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--node: 'not a url' is not an http(s) address", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("members")]
    [InlineData("shards")]
    [InlineData("entity")]
    [InlineData("actors")]
    [InlineData("journal")]
    [InlineData("opsrequests")]
    public async Task Every_command_has_help_with_an_example(string command)
    {
        var run = await CliRun.RunAsync("inspect", command, "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Example", run.Output, StringComparison.Ordinal);
        Assert.Contains($"archiver inspect {command}", run.Output, StringComparison.Ordinal);
        Assert.Contains("--node", run.Output, StringComparison.Ordinal);
        Assert.Contains("--output", run.Output, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
