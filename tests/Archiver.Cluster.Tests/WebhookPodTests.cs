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
        await ServingWebhooksAsync(session);
        await session.ApplyAsync(Archiver);

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

    [Fact]
    public async Task Kubectl_apply_of_a_wrong_archiver_is_refused_with_every_mistake_and_a_right_one_is_created()
    {
        await using var session = await StartAsync("demo");
        await ServingWebhooksAsync(session);

        var wrong = await session.Kubectl.RunWithInputAsync("""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: wrong, namespace: archiver}
            spec:
              databases: {namespaces: {from: Same}}
              fullBackup: {driver: Logical, scheduler: {schedule: "every night"}, timeout: "an hour"}
              backupStorage: {ref: {name: local, namespace: archiver}}
              deletionPolicy: Delete
            """, "apply", "-f", "-");
        await session.ApplyAsync(Archiver);

        // What the CRD's schema cannot say (a cron schedule, a Go duration) the webhook does, all of it at once; kubectl
        // shows a refusal with causes as it shows the API server's own validation, one line per field.
        Assert.True(wrong.ExitCode != 0, wrong.Error);
        Assert.Contains("MongoDBArchiver \"wrong\" is invalid", wrong.Error, StringComparison.Ordinal);
        Assert.Contains("* spec.fullBackup.scheduler.schedule: must have five fields", wrong.Error, StringComparison.Ordinal);
        Assert.Contains("* spec.fullBackup.timeout: must be a duration", wrong.Error, StringComparison.Ordinal);

        Assert.Null(session.Get("/apis/archiver.kubedb.com/v1alpha1/namespaces/archiver/mongodbarchivers/wrong"));
        Assert.NotNull(session.Get("/apis/archiver.kubedb.com/v1alpha1/namespaces/archiver/mongodbarchivers/nightly"));
    }

    [Fact]
    public async Task A_standalone_MongoDB_asking_to_be_archived_is_refused_and_one_merely_selected_gets_no_archiver_which_says_why()
    {
        await using var session = await StartAsync("demo");
        await ServingWebhooksAsync(session);
        await session.ApplyAsync(Archiver);
        const string Standalone = """
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: one, namespace: demo, labels: {archiver: "true"}}
            spec: {version: "7.0.14"}
            """;

        // KubeDB makes a MongoDB with neither spec.replicaSet nor spec.shardTopology a standalone, which keeps no oplog.
        var asking = await session.Kubectl.RunWithInputAsync(
            Standalone.Replace("spec: {version: \"7.0.14\"}", "spec: {version: \"7.0.14\", archiver: {ref: {name: nightly, namespace: archiver}}}", StringComparison.Ordinal),
            "create", "--dry-run=server", "-o", "json", "-f", "-");
        Assert.True(asking.ExitCode != 0, asking.Output);
        Assert.Contains("MongoDB \"one\" is invalid", asking.Error, StringComparison.Ordinal);
        Assert.Contains("spec.replicaSet: a standalone MongoDB (neither spec.replicaSet nor spec.shardTopology) keeps no oplog", asking.Error, StringComparison.Ordinal);

        (await session.Kubectl.RunWithInputAsync(Standalone, "create", "-f", "-")).Succeeded();
        var archiver = await session.WaitForAsync(
            "/apis/archiver.kubedb.com/v1alpha1/namespaces/archiver/mongodbarchivers/nightly",
            a => J(a?["status"]?["conditions"]).Any(c => Text(c?["type"]) == "Unsupported" && Text(c?["status"]) == "True"));
        var unsupported = J(archiver!["status"]?["conditions"]).Single(c => Text(c?["type"]) == "Unsupported");
        Assert.StartsWith("demo/one: a standalone MongoDB", Text(unsupported?["message"]), StringComparison.Ordinal);
        Assert.Null(session.Get("/apis/kubedb.com/v1alpha2/namespaces/demo/mongodbs/one")!["spec"]?["archiver"]);
        Assert.Empty(await session.ListAsync("demo", "mongodbopsrequests"));
    }

    private static IEnumerable<JsonNode?> J(JsonNode? array) => array is JsonArray items ? items : [];

    /// <summary>
    /// rbac.yaml, webhook-certificate.yaml and webhook.yaml applied with kubectl, both configurations given their CA by
    /// cert-manager's injector, and one archiver pod serving them, ready.
    /// </summary>
    private static async Task ServingWebhooksAsync(ClusterSession session)
    {
        foreach (var file in new[] { "rbac.yaml", "webhook-certificate.yaml", "webhook.yaml" })
        {
            (await session.Kubectl.RunAsync("apply", "-f", $"deploy/statefulset/{file}")).Succeeded();
        }

        foreach (var configuration in new[] { "mutatingwebhookconfigurations/archiver-mongodb", "validatingwebhookconfigurations/archiver-validation" })
        {
            await session.WaitForAsync($"/apis/admissionregistration.k8s.io/v1/{configuration}", c => Text(c?["webhooks"]?[0]?["clientConfig"]?["caBundle"]).Length > 0);
        }

        await session.ApplyAsync(ArchiverPodManifest.Node(webhook: true));
        await session.WaitForAsync("/api/v1/namespaces/archiver/pods/archiver-0", Ready);
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(500);
        return true;
    }
}
