using System.Net;
using System.Net.Sockets;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>What a stand-in leaves behind when it stops: nothing (no process, no hosts line, no listening member).</summary>
[Trait("Category", "E2E")]
public sealed class CleanupTests
{
    [Fact]
    public async Task Disposing_the_stand_in_kills_every_pods_process_and_removes_its_hosts_block_and_members()
    {
        var session = await StartAsync("demo");
        List<int> processes;
        string id;
        IPEndPoint member;
        try
        {
            await session.ApplyAsync("""
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: web, namespace: demo}
                spec:
                  serviceName: web
                  replicas: 2
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers: [{name: web, image: ghcr.io/kubedb/archiver:v1, args: [emulator, mongodb, --port, "0"]}]
                """);
            await session.ApplyAsync(MongoDbProvisioningTests.MongoDB("kubedb.com/v1", "mg").Replace("replicas: 3", "replicas: 1", StringComparison.Ordinal));
            await session.WaitForAsync("/apis/apps/v1/namespaces/demo/statefulsets/web", s => s?["status"]?["readyReplicas"]?.GetValue<int>() == 2);
            await session.WaitForPhaseAsync("demo", "mg", "Ready");
            processes = [.. session.Cluster.Processes()];
            id = session.Cluster.Id;
            member = new IPEndPoint(IPAddress.Parse(Text(session.Get("/api/v1/namespaces/demo/pods/mg-0")?["status"]?["podIP"])), 27017);

            Assert.Equal(2, processes.Count);
            Assert.Contains(id, File.ReadAllText("/etc/hosts"), StringComparison.Ordinal);
        }
        finally
        {
            await session.DisposeAsync();
        }

        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(member);
        });
        Assert.All(processes, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} outlived the stand-in"));
        Assert.Empty(session.Cluster.Processes());
        Assert.DoesNotContain(id, File.ReadAllText("/etc/hosts"), StringComparison.Ordinal);
        Assert.DoesNotContain($"127.{session.Cluster.NetworkPrefix}.", File.ReadAllText("/etc/hosts"), StringComparison.Ordinal);
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task A_block_left_in_the_hosts_file_by_a_stand_in_whose_process_is_gone_is_removed_at_the_next_start()
    {
        // A process id that is not running: the highest the kernel may hand out, plus one.
        var gone = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture) + 1;
        var abandoned = $"# BEGIN archiver-cluster-standin {gone}-deadbeef pid={gone}\n127.250.0.2 left.behind.svc\n# END archiver-cluster-standin {gone}-deadbeef\n";
        await File.AppendAllTextAsync("/etc/hosts", abandoned);
        try
        {
            await using var session = await StartAsync();

            Assert.DoesNotContain("left.behind.svc", File.ReadAllText("/etc/hosts"), StringComparison.Ordinal);
        }
        finally
        {
            var text = File.ReadAllText("/etc/hosts");
            if (text.Contains(abandoned, StringComparison.Ordinal)) File.WriteAllText("/etc/hosts", text.Replace(abandoned, "", StringComparison.Ordinal));
        }
    }
}
