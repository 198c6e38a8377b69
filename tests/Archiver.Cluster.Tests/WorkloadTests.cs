using System.Globalization;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// The workload controllers and the kubelet on their own: a rolling restart in reverse ordinal order, Jobs to
/// completion and to their backoff limit, a container's environment and a secret volume that follows its secret, and
/// an image the stand-in cannot run. The long-running container is the archiver image's <c>archiver emulator mongodb</c>.
/// </summary>
[Trait("Category", "E2E")]
public sealed class WorkloadTests
{
    private const string Web = """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web, namespace: demo}
        spec:
          serviceName: web
          replicas: 3
          updateStrategy: {type: RollingUpdate}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 20
              containers:
                - name: web
                  image: ghcr.io/kubedb/archiver:v1
                  args: [emulator, mongodb, --port, "0"]
        """;

    [Fact]
    public async Task A_rollout_restart_replaces_the_pods_one_at_a_time_from_the_highest_ordinal()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync(Web);
        await session.WaitForAsync("/apis/apps/v1/namespaces/demo/statefulsets/web", s => s?["status"]?["readyReplicas"]?.GetValue<int>() == 3);
        var started = DateTime.UtcNow;
        session.Cluster.Api.ClearAuthorized();

        (await session.Kubectl.RunAsync("rollout", "restart", "statefulset/web", "-n", "demo")).Succeeded();
        (await session.Kubectl.RunAsync("rollout", "status", "statefulset/web", "-n", "demo", "--timeout=40s")).Succeeded();
        var deleted = session.Cluster.Api.Authorized.Where(a => a is { User: "system:kube-controller-manager", Verb: "delete", Resource: "pods" }).Select(a => a.Name).ToList();
        var created = session.Cluster.Api.Authorized.Where(a => a is { User: "system:kube-controller-manager", Verb: "create", Resource: "pods" }).Count();
        var pods = await session.ListAsync("demo", "pods");
        var set = session.Get("/apis/apps/v1/namespaces/demo/statefulsets/web")!;

        Assert.Equal(["web-2", "web-1", "web-0"], deleted);
        Assert.Equal(3, created);
        Assert.All(pods, p => Assert.Equal(Text(set["status"]?["updateRevision"]), Text(p["metadata"]?["labels"]?["controller-revision-hash"])));
        Assert.Equal(Text(set["status"]?["updateRevision"]), Text(set["status"]?["currentRevision"]));
        // Each old pod stopped on SIGTERM, well within its 20 s grace period: three of them in less than one.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), $"the rollout took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task A_Job_of_the_archiver_image_completes_and_one_that_keeps_failing_stops_at_its_backoff_limit()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: version, namespace: demo}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: archiver, image: ghcr.io/kubedb/archiver:v1, args: [--version]}]
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: broken, namespace: demo}
            spec:
              backoffLimit: 1
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: archiver, image: ghcr.io/kubedb/archiver:v1, args: [no-such-command]}]
            """);

        var wait = await session.Kubectl.RunAsync("wait", "--for=condition=complete", "job/version", "-n", "demo", "--timeout=30s");
        var broken = await session.WaitForAsync("/apis/batch/v1/namespaces/demo/jobs/broken", j => Text(j?["status"]?["conditions"]?[0]?["type"]) == "Failed");
        var pods = await session.ListAsync("demo", "pods");

        Assert.Equal("job.batch/version condition met", wait.Succeeded().Output.Trim());
        Assert.Equal("BackoffLimitExceeded", Text(broken!["status"]?["conditions"]?[0]?["reason"]));
        Assert.Equal(2, broken["status"]?["failed"]?.GetValue<int>());
        Assert.Equal(2, pods.Count(p => Text(p["metadata"]?["labels"]?["job-name"]) == "broken" && Text(p["status"]?["phase"]) == "Failed"));
        var succeeded = pods.Single(p => Text(p["metadata"]?["labels"]?["job-name"]) == "version");
        Assert.Equal("Succeeded", Text(succeeded["status"]?["phase"]));
        Assert.Equal("Completed", Text(succeeded["status"]?["containerStatuses"]?[0]?["state"]?["terminated"]?["reason"]));
        Assert.Equal(2, pods.First(p => Text(p["metadata"]?["labels"]?["job-name"]) == "broken")["status"]?["containerStatuses"]?[0]?["state"]?["terminated"]?["exitCode"]?.GetValue<int>());
        Assert.StartsWith("1.", session.Cluster.LogsOf("demo", Text(succeeded["metadata"]?["name"]), "archiver"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_container_gets_its_environment_as_the_kubelet_makes_it_and_a_secret_volume_follows_its_secret()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: demo}
            stringData: {password: first}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: demo}
            data: {mode: fast}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: app, namespace: demo, labels: {tier: backend}}
            spec:
              containers:
                - name: app
                  image: ghcr.io/kubedb/archiver:v1
                  args: [emulator, mongodb, --port, "0"]
                  env:
                    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
                    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
                    - {name: GREETING, value: "$(POD_NAME) in $(MODE) mode, $$(literal)"}
                  volumeMounts:
                    - {name: creds, mountPath: /etc/app/creds, readOnly: true}
                    - {name: info, mountPath: /etc/app/info}
              volumes:
                - {name: creds, secret: {secretName: creds}}
                - name: info
                  downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
            """);
        var pod = await session.WaitForAsync("/api/v1/namespaces/demo/pods/app", Ready);
        var pid = int.Parse(Text(pod!["status"]?["containerStatuses"]?[0]?["containerID"]).Split('/')[^1], CultureInfo.InvariantCulture);
        var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0').Where(e => e.Contains('=', StringComparison.Ordinal))
            .Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => e[1]);

        var first = await session.Cluster.ExecAsync("demo", "app", "app", "cat", "/etc/app/creds/password");
        var labels = await session.Cluster.ExecAsync("demo", "app", "app", "cat", "/etc/app/info/labels");
        var readOnly = await session.Cluster.ExecAsync("demo", "app", "app", "sh", "-c", "echo x > /etc/app/creds/other");
        await session.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: demo}
            stringData: {password: second}
            """);
        await session.WaitUntilAsync(() => session.Cluster.ExecAsync("demo", "app", "app", "cat", "/etc/app/creds/password").Result?.Output == "second",
            "the secret volume shows the secret's new value");

        Assert.Equal("app", environment["POD_NAME"]);
        Assert.Equal(Text(pod["status"]?["podIP"]), environment["POD_IP"]);
        Assert.Equal("fast", environment["MODE"]);
        Assert.Equal("first", environment["PASSWORD"]);
        Assert.Equal("app in fast mode, $(literal)", environment["GREETING"]);
        Assert.Equal("app", environment["HOSTNAME"]);
        Assert.Equal("first", first!.Value.Output);
        Assert.Equal("tier=\"backend\"", labels!.Value.Output);
        Assert.NotEqual(0, readOnly!.Value.ExitCode);
        Assert.Contains("Read-only file system", readOnly.Value.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_of_an_image_the_stand_in_cannot_run_stays_Pending_with_ErrImagePull_saying_why()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: busy, namespace: demo}
            spec:
              containers: [{name: busy, image: busybox:1.36, command: [sleep, "3600"]}]
            """);

        var pod = await session.WaitForAsync("/api/v1/namespaces/demo/pods/busy", p => Text(p?["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"]) == "ErrImagePull");

        Assert.Equal("Pending", Text(pod!["status"]?["phase"]));
        Assert.Contains("\"busybox:1.36\"", Text(pod["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["message"]), StringComparison.Ordinal);
        Assert.Empty(session.Cluster.Processes());
    }
}
