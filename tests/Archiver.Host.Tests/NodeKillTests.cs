namespace Archiver.Host.Tests;

/// <summary>
/// A real node process killed with SIGKILL right after the CLI got its answer: what the node acknowledged is there
/// when a new node starts on the same folder, as after an API server restart.
/// </summary>
public sealed class NodeKillTests
{
    [Fact]
    public async Task A_node_killed_right_after_acknowledging_a_create_and_a_delete_keeps_both()
    {
        var data = Directory.CreateTempSubdirectory("archiver-kill-").FullName;
        try
        {
            await using (var first = await NodeProcess.StartAsync(data))
            {
                var node = first.Address.ToString();
                // The demo's storage and archiver (no MongoDB resource: nothing here needs a replica set).
                foreach (var name in new[] { "storage.yaml", "archiver.yaml" })
                {
                    var text = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", name)))
                        .Replace("/var/lib/archiver/backups", Path.Combine(data, "backups"), StringComparison.Ordinal);
                    await ApplyAsync(data, name, text, node);
                }

                await ApplyAsync(data, "short-lived.yaml", RetentionPolicy("short-lived"), node);
                await ApplyAsync(data, "late.yaml", RetentionPolicy("keep-last-2"), node);
                var deleted = await CliRun.RunAsync("delete", "retentionpolicy", "demo/short-lived", "--node", node);
                Assert.True(deleted.ExitCode == 0, deleted.ToString());

                // At once: no shutdown, no save; only what was written before the node answered can be there.
                await first.KillAsync();
            }

            await using var second = await NodeProcess.StartAsync(data);
            var get = await CliRun.RunAsync("get", "retentionpolicies", "-n", "demo", "--node", second.Address.ToString());
            Assert.True(get.ExitCode == 0, get.ToString());
            // NAMESPACE NAME PHASE AGE, under a header line.
            var names = get.OutputLines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Order(StringComparer.Ordinal);
            Assert.Equal(["keep-last-2", "keep-last-5"], names);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task ApplyAsync(string data, string name, string text, string node)
    {
        var path = Path.Combine(data, name);
        await File.WriteAllTextAsync(path, text);
        var applied = await CliRun.RunAsync("apply", "-f", path, "--node", node);
        Assert.True(applied.ExitCode == 0, applied.ToString());
    }

    private static string RetentionPolicy(string name) => $"""
        apiVersion: storage.kubestash.com/v1alpha1
        kind: RetentionPolicy
        metadata:
          name: {name}
          namespace: demo
        spec:
          successfulSnapshots:
            last: 2
          usagePolicy:
            allowedNamespaces:
              from: Same
        """;
}
