using Archiver.Kubernetes.Tests;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// The product as a pod of the archiver image: <c>archiver run --in-cluster</c>, the built archiver.dll in a process
/// of its own with its service account's token where KubernetesClient's <c>InClusterConfig()</c> looks for it, bound
/// by deploy/statefulset/rbac.yaml, refused what that does not grant; and <c>kubectl rollout restart</c> replacing it.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ArchiverPodTests
{
    [Fact]
    public async Task An_archiver_pod_runs_in_cluster_with_its_own_token_RBAC_applies_to_it_and_a_rollout_restart_replaces_it()
    {
        await using var session = await StartAsync("archiver");
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
        await session.ApplyAsync(ArchiverPodManifest.Node(webhook: false));

        var pod = await session.WaitForAsync("/api/v1/namespaces/archiver/pods/archiver-0", Ready);
        var token = await session.Cluster.ExecAsync("archiver", "archiver-0", "archiver", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token");
        var ns = await session.Cluster.ExecAsync("archiver", "archiver-0", "archiver", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace");
        var hostname = await session.Cluster.ExecAsync("archiver", "archiver-0", "archiver", "hostname");
        await session.WaitUntilAsync(() => Watched(session, "mongodbs"), "the node lists and watches MongoDBs with its own token");
        using var asThePod = new Kubectl(session.Cluster.Api, token!.Value.Output);
        var listSecrets = await asThePod.RunAsync("get", "secrets", "-n", "archiver");
        var logs = session.Cluster.LogsOf("archiver", "archiver-0", "archiver");

        Assert.Equal("archiver", ns!.Value.Output);
        Assert.Equal("archiver-0", hostname!.Value.Output.Trim());
        Assert.Equal("Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:archiver:archiver\" cannot list resource \"secrets\" in API group \"\" in the namespace \"archiver\"",
            listSecrets.Error.Trim());
        Assert.Contains($"archiver node on http://{Text(pod!["status"]?["podIP"])}:7780/", logs, StringComparison.Ordinal);
        var byThePod = session.Cluster.Api.Authorized.Where(a => a.User == "system:serviceaccount:archiver:archiver").Select(a => $"{a.Verb} {a.Resource}").ToHashSet();
        Assert.Contains("list mongodbs", byThePod);
        Assert.DoesNotContain(byThePod, a => a.EndsWith(" secrets", StringComparison.Ordinal));

        var before = session.Get("/apis/apps/v1/namespaces/archiver/statefulsets/archiver")!;
        var oldProcess = int.Parse(Text(pod["status"]?["containerStatuses"]?[0]?["containerID"]).Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        (await session.Kubectl.RunAsync("rollout", "restart", "statefulset/archiver", "-n", "archiver")).Succeeded();
        var rollout = await session.Kubectl.RunAsync("rollout", "status", "statefulset/archiver", "-n", "archiver", "--timeout=30s");
        var after = session.Get("/apis/apps/v1/namespaces/archiver/statefulsets/archiver")!;
        var replaced = session.Get("/api/v1/namespaces/archiver/pods/archiver-0");

        Assert.Contains("rolling update complete", rollout.Succeeded().Output, StringComparison.Ordinal);
        Assert.NotEqual(Text(before["status"]?["updateRevision"]), Text(after["status"]?["updateRevision"]));
        Assert.Equal(Text(after["status"]?["updateRevision"]), Text(after["status"]?["currentRevision"]));
        Assert.NotEqual(Text(pod["metadata"]?["uid"]), Text(replaced?["metadata"]?["uid"]));
        Assert.True(Ready(replaced));
        Assert.False(Directory.Exists($"/proc/{oldProcess}"), $"the old pod's process {oldProcess} still runs");
    }

    private static bool Watched(ClusterSession session, string resource) =>
        session.Cluster.Api.Authorized.Any(a => a.User == "system:serviceaccount:archiver:archiver" && a.Verb == "watch" && a.Resource == resource);
}
