using System.Text.Json.Nodes;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// The product's mutating webhook (src/Host/Admission) as a cluster serves it: an archiver pod with
/// <c>--webhook-port</c> and the serving certificate cert-manager's stand-in issued from webhook-certificate.yaml,
/// mounted as statefulset.yaml mounts it, behind webhook.yaml's Service and configuration; the API server stand-in
/// calls it through the Service over TLS trusting the injected CA, and a MongoDB an archiver selects is created with
/// <c>spec.archiver</c>.
/// </summary>
[Trait("Category", "E2E")]
public sealed class WebhookPodTests
{
    internal const string Node = """
        apiVersion: v1
        kind: Secret
        metadata: {name: archiver-token, namespace: archiver}
        stringData: {token: a-test-token}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: archiver, namespace: archiver}
        spec:
          clusterIP: None
          publishNotReadyAddresses: true
          selector: {app.kubernetes.io/name: archiver}
          ports: [{name: http, port: 7780}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: archiver, namespace: archiver}
        spec:
          serviceName: archiver
          replicas: 1
          selector: {matchLabels: {app.kubernetes.io/name: archiver}}
          template:
            metadata: {labels: {app.kubernetes.io/name: archiver}}
            spec:
              serviceAccountName: archiver
              terminationGracePeriodSeconds: 3
              containers:
                - name: archiver
                  image: ghcr.io/kubedb/archiver:latest
                  # Pods share this machine's network: the API and Akka bind the pod's own address (docs/emulators.md);
                  # the webhook binds every interface, as the product does, which one pod per machine may.
                  args: [run, --in-cluster, --data=/var/lib/archiver, --host=$(POD_IP), --port=4053, --http-host=$(POD_IP), --http-port=7780,
                         --webhook-port=9443, --webhook-cert-dir=/var/run/archiver/webhook]
                  env:
                    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                    - {name: ARCHIVER_TOKEN, valueFrom: {secretKeyRef: {name: archiver-token, key: token}}}
                  ports: [{name: http, containerPort: 7780}, {name: webhook, containerPort: 9443}]
                  readinessProbe:
                    httpGet: {path: /healthz, port: http}
                    periodSeconds: 1
                  volumeMounts:
                    - {name: data, mountPath: /var/lib/archiver}
                    - {name: webhook-tls, mountPath: /var/run/archiver/webhook, readOnly: true}
              volumes:
                - {name: data, emptyDir: {}}
                - {name: webhook-tls, secret: {secretName: archiver-webhook-tls}}
        """;

    private const string Archiver = """
        apiVersion: archiver.kubedb.com/v1alpha1
        kind: MongoDBArchiver
        metadata: {name: nightly, namespace: archiver}
        spec:
          databases:
            namespaces: {from: All}
            selector: {matchLabels: {archiver: "true"}}
          fullBackup: {driver: Logical, scheduler: {schedule: "@daily"}}
          backupStorage: {ref: {name: local, namespace: archiver}}
          deletionPolicy: Delete
        """;

    private const string Database = """
        apiVersion: kubedb.com/v1
        kind: MongoDB
        metadata: {name: mg, namespace: demo, labels: {archiver: "true"}}
        spec: {version: "7.0.14", replicas: 3, replicaSet: {name: rs0}}
        """;

    [Fact]
    public async Task An_archiver_pod_serves_the_webhook_with_cert_managers_certificate_and_a_selected_MongoDB_gets_spec_archiver()
    {
        await using var session = await StartAsync("demo");
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook-certificate.yaml")).Succeeded();
        (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook.yaml")).Succeeded();
        await session.WaitForAsync("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/archiver-mongodb",
            c => Text(c?["webhooks"]?[0]?["clientConfig"]?["caBundle"]).Length > 0);
        await session.ApplyAsync(Node);
        await session.ApplyAsync(Archiver);
        await session.WaitForAsync("/api/v1/namespaces/archiver/pods/archiver-0", Ready);

        // A server-side dry run is admitted like a create (the webhook says sideEffects None) and stores nothing, so
        // KubeDB's stand-in provisions nothing; the answer is the object as it would be stored.
        // The node may not have read the archiver yet at its first admission (it then admits the database unchanged).
        var deadline = DateTime.UtcNow + Patience;
        JsonNode? admitted;
        do
        {
            var result = (await session.Kubectl.RunWithInputAsync(Database, "create", "--dry-run=server", "-o", "json", "-f", "-")).Succeeded();
            admitted = JsonNode.Parse(result.Output);
        }
        while (Text(admitted?["spec"]?["archiver"]?["ref"]?["name"]).Length == 0 && DateTime.UtcNow < deadline && await Pause());

        Assert.Equal("nightly", Text(admitted!["spec"]?["archiver"]?["ref"]?["name"]));
        Assert.Equal("archiver", Text(admitted["spec"]?["archiver"]?["ref"]?["namespace"]));
        Assert.Null(session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg"));
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(500);
        return true;
    }
}
