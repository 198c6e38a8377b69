using System.Net;
using System.Net.Sockets;
using Archiver.Messages.Validation;

namespace Archiver.Host.Tests;

/// <summary>Each client command against a running node: its happy path, its bad inputs, their exit codes and messages.</summary>
public sealed class CommandTests(RunningNode fixture) : IClassFixture<RunningNode>
{
    private string Node => fixture.Address;

    [Fact]
    public async Task Get_lists_databases_with_their_phase_and_prints_one_as_yaml()
    {
        var table = await CliRun.RunAsync("get", "mongodb", "-n", "demo", "-o", "wide", "--node", Node);
        var yaml = await CliRun.RunAsync("get", "mongodbs", "demo/mg-rs", "-o", "yaml", "--node", Node);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"demo\s+mg-rs\s+Archiving\s+demo/archiver-demo", table.Output);
        Assert.Equal(0, yaml.ExitCode);
        Assert.Contains("kind: MongoDB", yaml.Output);
        Assert.Contains("archiver.kubedb.com/connection-secret: mg-rs-connection", yaml.Output);
        // The fixture's backup is in the status, as the status page and `get -o wide` show it.
        Assert.Contains("lastFullBackup:", yaml.Output);
    }

    [Fact]
    public async Task Get_takes_kubectls_all_namespaces_and_label_selector_flags()
    {
        var all = await CliRun.RunAsync("get", "mongodb", "-A", "--node", Node);
        var selected = await CliRun.RunAsync("get", "mongodb", "-A", "-l", "archiver=true,!tier", "--node", Node);
        var set = await CliRun.RunAsync("get", "mongodb", "-l", "archiver in (true, yes)", "--node", Node);
        var none = await CliRun.RunAsync("get", "mongodb", "-l", "archiver!=true", "--node", Node);
        var badSelector = await CliRun.RunAsync("get", "mongodb", "-l", "archiver in (true", "--node", Node);
        var both = await CliRun.RunAsync("get", "mongodb", "-A", "-n", "demo", "--node", Node);

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Matches(@"demo\s+mg-rs\s+Archiving", all.Output);
        Assert.Matches(@"demo\s+mg-rs\s+Archiving", selected.Output);
        Assert.Matches(@"demo\s+mg-rs\s+Archiving", set.Output);
        Assert.Equal(0, none.ExitCode);
        Assert.DoesNotContain("mg-rs", none.Output, StringComparison.Ordinal);
        Assert.Contains("No mongodbs found.", none.Error, StringComparison.Ordinal);
        Assert.Equal(2, badSelector.ExitCode);
        Assert.Contains("--selector (-l): ", badSelector.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--all-namespaces (-A) and --namespace (-n)", both.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_an_unknown_kind_is_a_usage_error_and_of_an_unknown_name_is_not_found()
    {
        var kind = await CliRun.RunAsync("get", "mongodbz", "--node", Node);
        var name = await CliRun.RunAsync("get", "mongodb", "demo/nope", "--node", Node);

        Assert.Equal(2, kind.ExitCode);
        Assert.Contains("kind: 'mongodbz' is not a kind Archiver serves", kind.Error);
        Assert.Equal(1, name.ExitCode);
        Assert.Contains("MongoDB demo/nope not found", name.Error);
    }

    [Fact]
    public async Task Apply_twice_creates_then_leaves_unchanged_and_keeps_what_controllers_set()
    {
        var first = await CliRun.RunAsync("apply", "-f", Path.Combine(fixture.ExamplesFolder, "mongodb.yaml"), "--node", Node);
        var yaml = await CliRun.RunAsync("get", "mongodb", "demo/mg-rs", "-o", "yaml", "--node", Node);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("mongodb/demo/mg-rs unchanged", first.OutputLines.Single());
        // The mutator's spec.archiver.ref survives a re-apply of a file that does not mention it.
        Assert.Contains("name: archiver-demo", yaml.Output);
    }

    [Fact]
    public async Task A_database_applied_after_its_archiver_is_configured_from_creation_with_no_ops_request()
    {
        // The fixture applied the archiver, then the database: apply ran the mutator step, as the webhook does in a cluster.
        var db = (await fixture.Node.Store.GetAsync<Messages.Resources.MongoDB>(RunningNode.Database))!;
        var requests = await fixture.Node.Store.ListAsync<Messages.Resources.MongoDBOpsRequest>("demo");

        Assert.Equal("archiver-demo", db.Spec!.Archiver!.Ref!.Name);
        Assert.Equal(Messages.Resources.DatabaseArchiverPhase.Archiving, db.Status!.Archiver!.Phase);
        Assert.Empty(requests);
    }

    [Fact]
    public async Task An_archiver_with_volume_snapshot_backups_is_blocked_on_the_embedded_node_with_the_reason_before_any_run()
    {
        var path = Path.Combine(fixture.ExamplesFolder, "csi-archiver.yaml");
        await File.WriteAllTextAsync(path, """
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: csi-archiver, namespace: demo}
            spec:
              databases:
                selector: {matchLabels: {archiver: csi}}
                namespaces: {from: Same}
              fullBackup:
                driver: CSISnapshotter
                csiSnapshotter: {volumeSnapshotClassName: longhorn-snapshot-vsc}
                scheduler: {schedule: "0 */6 * * *"}
              backupStorage:
                ref: {name: local-storage, namespace: demo}
              deletionPolicy: Delete
            """);

        var applied = await CliRun.RunAsync("apply", "-f", path, "--node", Node);

        Assert.True(applied.ExitCode == 0, applied.ToString());
        var id = new Messages.Protocol.ResourceId("demo", "csi-archiver");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Messages.Resources.MongoDBArchiver? archiver;
        while ((archiver = await fixture.Node.Store.GetAsync<Messages.Resources.MongoDBArchiver>(id))?.Status?.Phase != Messages.Resources.ArchiverPhase.Blocked && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var blocked = Assert.Single(archiver!.Status!.Conditions!, c => c.Type == "Blocked");
        Assert.Equal(Messages.Resources.ConditionStatus.True, blocked.Status);
        Assert.Contains("CSISnapshotter", blocked.Message, StringComparison.Ordinal);
        Assert.Contains("set spec.fullBackup.driver: Logical", blocked.Message, StringComparison.Ordinal);
        await CliRun.RunAsync("delete", "mongodbarchiver", "demo/csi-archiver", "--node", Node);
    }

    [Fact]
    public async Task Apply_of_a_missing_file_or_an_invalid_manifest_applies_nothing_and_names_the_problem()
    {
        var bad = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(bad, "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata:\n  name: other\n  namespace: demo\nspec:\n  archiver:\n    pause: maybe\n");
        try
        {
            var missing = await CliRun.RunAsync("apply", "-f", "/nonexistent/x.yaml", "--node", Node);
            var invalid = await CliRun.RunAsync("apply", "-f", bad, "--node", Node);
            var get = await CliRun.RunAsync("get", "mongodb", "demo/other", "--node", Node);

            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("/nonexistent/x.yaml: no such file", missing.Error);
            Assert.Equal(1, invalid.ExitCode);
            Assert.Contains("spec.archiver.pause", invalid.Error);
            Assert.Contains("nothing was applied", invalid.Error);
            Assert.Equal(1, get.ExitCode);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public async Task Delete_of_an_unknown_resource_is_not_found()
    {
        var run = await CliRun.RunAsync("delete", "backupstorage", "demo/nope", "--node", Node);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("BackupStorage demo/nope not found", run.Error);
    }

    [Fact]
    public async Task Windows_shows_the_window_after_the_backup_as_a_table_and_a_time_line()
    {
        var run = await CliRun.RunAsync("windows", "demo/mg-rs", "--node", Node);
        var json = await CliRun.RunAsync("windows", "mg-rs", "-n", "demo", "-o", "json", "--node", Node);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("TIMELINE", run.Output);
        Assert.Matches(@"timeline 1\s+\|█+", run.Output);
        Assert.Equal(0, json.ExitCode);
        Assert.Contains("\"windows\"", json.Output);
    }

    [Fact]
    public async Task Windows_of_an_unknown_database_is_not_found()
    {
        var run = await CliRun.RunAsync("windows", "demo/nope", "--node", Node);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("MongoDB demo/nope not found", run.Error);
    }

    [Fact]
    public async Task Plan_inside_the_window_names_the_base_backup_and_outside_it_names_the_recoverable_span()
    {
        var inside = await CliRun.RunAsync("plan", "demo/mg-rs", "--at", Rfc3339.Format(fixture.BackedUpAt), "--node", Node);
        var before = await CliRun.RunAsync("plan", "demo/mg-rs", "--at", "2020-01-01T00:00:00Z", "--node", Node);

        Assert.True(inside.ExitCode == 0, inside.ToString());
        Assert.Contains("restorable", inside.Output);
        Assert.Contains("base backup", inside.Output);
        Assert.Equal(1, before.ExitCode);
        Assert.Contains("cannot be restored to 2020-01-01T00:00:00Z", before.Error);
        Assert.Contains("recoverable from", before.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_time_names_the_option_and_the_reason()
    {
        var run = await CliRun.RunAsync("plan", "demo/mg-rs", "--at", "yesterday", "--node", Node);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("at: 'yesterday' is not a target: use an RFC 3339 time with its offset", run.Error);
    }

    [Fact]
    public async Task A_restore_to_a_time_no_window_covers_is_refused_before_anything_is_created()
    {
        var run = await CliRun.RunAsync("restore", "demo/mg-rs", "--at", "2020-01-01T00:00:00Z", "--into", "demo/never", "--node", Node);
        var get = await CliRun.RunAsync("get", "mongodb", "demo/never", "--node", Node);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot be restored", run.Error);
        Assert.Equal(1, get.ExitCode);
    }

    [Fact]
    public async Task A_restore_into_a_malformed_name_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("restore", "demo/mg-rs", "--at", Rfc3339.Format(fixture.BackedUpAt), "--into", "a/b/c", "--node", Node);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--into: 'a/b/c' is not NAMESPACE/NAME", run.Error);
    }

    [Fact]
    public async Task A_backup_of_an_unknown_database_is_not_found()
    {
        var run = await CliRun.RunAsync("backup", "demo/nope", "--node", Node);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("MongoDB demo/nope not found", run.Error);
    }

    [Fact]
    public async Task A_node_that_does_not_answer_is_exit_4_with_the_address()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var run = await CliRun.RunAsync("get", "mongodb", "--node", $"http://127.0.0.1:{port}");

        Assert.Equal(4, run.ExitCode);
        Assert.Contains($"cannot reach the node at http://127.0.0.1:{port}/", run.Error);
    }
}
