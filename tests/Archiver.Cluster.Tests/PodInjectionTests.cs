using System.Text.Json.Nodes;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// The pods webhook as a cluster calls it: an archiver pod serving deploy/statefulset/webhook.yaml's pod webhook, and
/// KubeDB's stand-in creating the pods of an archived database. The database is archived as far as admission looks
/// (it names the archiver, its BackupConfiguration exists), and is marked configured so that no ops request ever
/// edits its StatefulSet: the sidecar its pods carry can only come from admission, and a template KubeDB writes
/// again without it still yields pods with it.
/// </summary>
[Trait("Category", "E2E")]
public sealed class PodInjectionTests
{
    private const string Archiver = """
        apiVersion: archiver.kubedb.com/v1alpha1
        kind: MongoDBArchiver
        metadata: {name: nightly, namespace: demo}
        spec:
          databases:
            namespaces: {from: Same}
            selector: {matchLabels: {archiver: "true"}}
          fullBackup: {driver: Logical, scheduler: {schedule: "@yearly"}}
          backupStorage: {ref: {name: local, namespace: demo}}
          deletionPolicy: Delete
        """;

    [Fact]
    public async Task An_archived_databases_pods_get_the_sidecar_at_admission_and_keep_it_after_the_template_is_rewritten()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook-certificate.yaml")).Succeeded();
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook.yaml")).Succeeded();
            await session.WaitForAsync("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/archiver-mongodb",
                c => (c?["webhooks"] as JsonArray ?? []).All(w => Text(w?["clientConfig"]?["caBundle"]).Length > 0));
            await session.ApplyAsync(ArchiverPodManifest.Node(webhook: true));
            await session.WaitForAsync("/api/v1/namespaces/archiver/pods/archiver-0", Ready);
            await session.ApplyAsync($$$"""
                apiVersion: storage.kubestash.com/v1alpha1
                kind: BackupStorage
                metadata: {name: local, namespace: demo}
                spec:
                  storage:
                    provider: local
                    local:
                      mountPath: /backups
                      hostPath: {path: "{{{folder}}}"}
                ---
                {{{Archiver}}}
                ---
                apiVersion: core.kubestash.com/v1alpha1
                kind: BackupConfiguration
                metadata: {name: mg-archiver, namespace: demo}
                spec:
                  target: {apiGroup: kubedb.com, kind: MongoDB, name: mg, namespace: demo}
                """);
            // Selected by the archiver and annotated as configured with its spec as it is (so its planner issues no ops
            // request, and its own entity does not configure it at creation): nothing of the node writes the StatefulSet.
            var hash = SpecHash.Compute(((MongoDBArchiver)ManifestReader.Read(Archiver).Resources[0]).Spec!);
            await session.ApplyAsync($$$"""
                apiVersion: kubedb.com/v1alpha2
                kind: MongoDB
                metadata:
                  name: mg
                  namespace: demo
                  labels: {archiver: "true"}
                  annotations: {archiver.kubedb.com/spec-hash: "{{{hash}}}"}
                spec:
                  version: "7.0.21"
                  replicas: 1
                  replicaSet: {name: rs0}
                  storage:
                    resources: {requests: {storage: 1Gi}}
                  archiver: {ref: {name: nightly, namespace: demo}}
                """);

            var first = await session.WaitForAsync("/api/v1/namespaces/demo/pods/mg-0", p => p is not null);
            var set = session.Get("/apis/apps/v1/namespaces/demo/statefulsets/mg");
            // KubeDB's operator writes its template again (here: an annotation of its own), and a pod is made anew from it.
            (await session.Kubectl.RunAsync("patch", "statefulset", "mg", "-n", "demo", "--type=merge",
                "-p", """{"spec":{"template":{"metadata":{"annotations":{"kubedb.com/reconciled":"again"}}}}}""")).Succeeded();
            (await session.Kubectl.RunAsync("delete", "pod", "mg-0", "-n", "demo", "--wait=false", "--ignore-not-found")).Succeeded();
            var again = await session.WaitForAsync("/api/v1/namespaces/demo/pods/mg-0",
                p => p is not null && Text(p["metadata"]?["uid"]) != Text(first!["metadata"]?["uid"]));
            var rewritten = session.Get("/apis/apps/v1/namespaces/demo/statefulsets/mg");

            Assert.Equal(["mongodb"], Containers(set!["spec"]?["template"]));
            Assert.Equal(["mongodb"], Containers(rewritten!["spec"]?["template"]));
            Assert.Equal("again", Text(rewritten["spec"]?["template"]?["metadata"]?["annotations"]?["kubedb.com/reconciled"]));
            foreach (var pod in new[] { first!, again! })
            {
                Assert.Equal(["mongodb", "archiver"], Containers(pod));
                Assert.Equal(hash, Text(pod["metadata"]?["annotations"]?["archiver.kubedb.com/injected"]));
                var storage = Assert.Single(pod["spec"]?["volumes"] as JsonArray ?? [], v => Text(v?["name"]) == "archiver-storage");
                Assert.Equal(folder, Text(storage!["hostPath"]?["path"]));
            }

            Assert.Equal("again", Text(again!["metadata"]?["annotations"]?["kubedb.com/reconciled"]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A database created after the archiver that selects it: the MongoDB webhook names the archiver in its spec, its
    /// own entity configures it at creation (no ops request, no restart), and the pods KubeDB makes for it archive
    /// from the start: the sidecar from admission, the secret copies and the sidecar's RoleBinding from the entity.
    /// </summary>
    [Fact]
    public async Task A_database_created_after_its_archiver_is_configured_by_its_own_entity_and_its_primary_archives()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook-certificate.yaml")).Succeeded();
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/webhook.yaml")).Succeeded();
            await session.WaitForAsync("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/archiver-mongodb",
                c => (c?["webhooks"] as JsonArray ?? []).All(w => Text(w?["clientConfig"]?["caBundle"]).Length > 0));
            await session.ApplyAsync(ArchiverPodManifest.Node(webhook: true, backups: folder));
            await session.WaitForAsync("/api/v1/namespaces/archiver/pods/archiver-0", Ready);
            await session.ApplyAsync($$$"""
                apiVersion: storage.kubestash.com/v1alpha1
                kind: BackupStorage
                metadata: {name: local, namespace: demo}
                spec:
                  storage:
                    provider: local
                    local:
                      mountPath: /backups
                      hostPath: {path: "{{{folder}}}"}
                ---
                {{{Archiver}}}
                """);
            await session.ApplyAsync("""
                apiVersion: kubedb.com/v1alpha2
                kind: MongoDB
                metadata:
                  name: mg
                  namespace: demo
                  labels: {archiver: "true"}
                spec:
                  version: "7.0.21"
                  replicas: 1
                  replicaSet: {name: rs0}
                  storage:
                    resources: {requests: {storage: 1Gi}}
                """);

            var mongo = "/apis/kubedb.com/v1alpha2/namespaces/demo/mongodbs/mg";
            var named = session.Get(mongo);
            Assert.Equal("nightly", Text(named?["spec"]?["archiver"]?["ref"]?["name"]));
            try
            {
                await session.WaitForAsync(mongo, m => Text(m?["status"]?["archiver"]?["phase"]) == "Archiving");
            }
            catch (TimeoutException e)
            {
                using var http = new HttpClient { BaseAddress = new Uri("http://archiver-0.archiver.archiver.svc:7780/") };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "a-test-token");
                var state = await http.GetStringAsync("api/v1/databases/demo/mg/state");
                var entity = await http.GetStringAsync("inspect/entity/database/demo/mg");
                throw new TimeoutException($"{e.Message}\nthe node's view: {state}\n{entity}\nits log:\n{session.Cluster.LogsOf("archiver", "archiver-0", "archiver")}", e);
            }

            await session.WaitForAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/demo/rolebindings/mg-archiver-sidecar", b => b is not null);
            await session.WaitForAsync("/apis/core.kubestash.com/v1alpha1/namespaces/demo/backupconfigurations/mg-archiver", b => b is not null);
            var pod = await session.WaitForAsync("/api/v1/namespaces/demo/pods/mg-0",
                p => Ready(p) && Text(p?["metadata"]?["annotations"]?["archiver.kubedb.com/report"]).Contains("\"standby\":false", StringComparison.Ordinal));
            Assert.Equal(["mongodb", "archiver"], Containers(pod));
            Assert.Empty(await session.ListAsync("demo", "mongodbopsrequests"));

            // A write, and the chunk holding it published by the sidecar into the storage's folder.
            var client = Client($"mongodb://root:{session.SecretValue("demo", "mg-auth", "password")}@mg-0.mg-pods.demo.svc:27017/?replicaSet=rs0&authSource=admin");
            try
            {
                await client.GetDatabase("app").GetCollection<MongoDB.Bson.BsonDocument>("c").InsertOneAsync(new MongoDB.Bson.BsonDocument("_id", 1));
            }
            finally
            {
                ClusterSession.Dispose(client);
            }

            await session.WaitUntilAsync(
                () => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(f => f.Contains("/oplog/", StringComparison.Ordinal)),
                "the primary's sidecar publishes a chunk");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<string> Containers(JsonNode? podOrTemplate) =>
        [.. (podOrTemplate?["spec"]?["containers"] as JsonArray ?? []).Select(c => Text(c?["name"]))];
}
