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
            await NodeAndStorageAsync(session, folder);
            await session.ApplyAsync("""
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
    [Theory]
    [InlineData("v1alpha2", "statefulsets")]
    [InlineData("v1", "petsets")]
    public async Task A_database_created_after_its_archiver_is_configured_by_its_own_entity_and_its_primary_archives(string version, string workload)
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            await ArchivingDatabaseAsync(session, folder, version);

            // KubeDB's workload of that version (a v1 database runs in a PetSet), its template given the sidecar too.
            var set = session.Get($"/apis/{(workload == "petsets" ? "apps.k8s.appscode.com" : "apps")}/v1/namespaces/demo/{workload}/mg");
            Assert.Equal(["mongodb", "archiver"], Containers(set!["spec"]?["template"]));
            // Written back as it was read but for its template: a PetSet keeps the fields a StatefulSet has not.
            Assert.Equal(workload == "petsets" ? "default" : "", Text(set["spec"]?["podPlacementPolicy"]?["name"]));
            var mongo = session.Get("/apis/kubedb.com/v1alpha2/namespaces/demo/mongodbs/mg");
            Assert.Equal("nightly", Text(mongo?["spec"]?["archiver"]?["ref"]?["name"]));
            Assert.Equal(("True", "ConfiguredAtCreation"), ConfiguredCondition(mongo));
            Assert.NotNull(session.Get("/apis/rbac.authorization.k8s.io/v1/namespaces/demo/rolebindings/mg-archiver-sidecar"));
            Assert.NotNull(session.Get("/apis/core.kubestash.com/v1alpha1/namespaces/demo/backupconfigurations/mg-archiver"));
            // From its first pod, without a roll: the sidecar came at admission, and KubeDB's OnDelete workload made no pod again.
            var pod = session.Get("/api/v1/namespaces/demo/pods/mg-0");
            Assert.Equal(["mongodb", "archiver"], Containers(pod));
            Assert.NotEmpty(Text(pod!["metadata"]?["annotations"]?["archiver.kubedb.com/injected"]));
            Assert.DoesNotContain(session.Cluster.Log.Recent, line => line.Contains("deleting mg-0", StringComparison.Ordinal));
            Assert.Empty(await session.ListAsync("demo", "mongodbopsrequests"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (string, string) ConfiguredCondition(JsonObject? mongo) =>
        (mongo?["status"]?["archiver"]?["conditions"] as JsonArray ?? []).Where(c => Text(c?["type"]) == "Configured")
            .Select(c => (Text(c?["status"]), Text(c?["reason"]))).SingleOrDefault();

    /// <summary>
    /// The sidecar's fence: a database deleted while its pods still run (held here by a finalizer of the test's own, with
    /// no node running to stop its archiving) gets nothing more published: a write after the deletion reaches the
    /// sidecar's next cut, which it refuses, saying why in its report, and no chunk is added to the storage.
    /// </summary>
    [Fact]
    public async Task A_deleted_databases_sidecar_publishes_nothing_more_though_its_pods_still_run()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        const string hold = "test.archiver.kubedb.com/hold";
        await using var session = await StartAsync("demo", "archiver");
        try
        {
            var password = await ArchivingDatabaseAsync(session, folder);
            // No node left to stop the archiving on the deletion: only the sidecar's own fence stands (the stand-in has no
            // scale subresource, so not `kubectl scale`).
            (await session.Kubectl.RunAsync("patch", "statefulset", "archiver", "-n", "archiver", "--type=merge", "-p", """{"spec":{"replicas":0}}""")).Succeeded();
            await session.WaitForAsync("/api/v1/namespaces/archiver/pods/archiver-0", p => p is null);
            (await session.Kubectl.RunAsync("patch", "mongodb", "mg", "-n", "demo", "--type=merge", "-p", $$$"""{"metadata":{"finalizers":["{{{hold}}}"]}}""")).Succeeded();
            var before = Chunks(folder);
            (await session.Kubectl.RunAsync("delete", "mongodb", "mg", "-n", "demo", "--wait=false")).Succeeded();
            await session.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg", m => Text(m?["metadata"]?["deletionTimestamp"]).Length > 0);

            await WriteAsync(password, "after-deletion");
            var pod = await session.WaitForAsync("/api/v1/namespaces/demo/pods/mg-0",
                p => Text(p?["metadata"]?["annotations"]?["archiver.kubedb.com/report"]).Contains("archiving stopped for good", StringComparison.Ordinal));
            Assert.Contains("MongoDB demo/mg is being deleted", Text(pod!["metadata"]?["annotations"]?["archiver.kubedb.com/report"]), StringComparison.Ordinal);
            Assert.Equal(before, Chunks(folder));
            Assert.Empty(pod["metadata"]?["deletionTimestamp"]?.ToString() ?? "");
        }
        finally
        {
            await session.Kubectl.RunAsync("patch", "mongodb", "mg", "-n", "demo", "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A node with the webhooks and a local storage in <paramref name="folder"/> (which it mounts too), an archiver, and a
    /// MongoDB it selects created after it, archiving: a chunk with a write published. Returns the database's password.
    /// </summary>
    private static async Task<string> ArchivingDatabaseAsync(ClusterSession session, string folder, string version = "v1alpha2")
    {
        await NodeAndStorageAsync(session, folder);
        await session.ApplyAsync($$$"""
            apiVersion: kubedb.com/{{{version}}}
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
        try
        {
            await session.WaitForAsync("/apis/kubedb.com/v1alpha2/namespaces/demo/mongodbs/mg", m => Text(m?["status"]?["archiver"]?["phase"]) == "Archiving");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nthe node's log:\n{session.Cluster.LogsOf("archiver", "archiver-0", "archiver")}", e);
        }

        await session.WaitForAsync("/api/v1/namespaces/demo/pods/mg-0",
            p => Ready(p) && Text(p?["metadata"]?["annotations"]?["archiver.kubedb.com/report"]).Contains("\"standby\":false", StringComparison.Ordinal));
        var password = session.SecretValue("demo", "mg-auth", "password");
        await WriteAsync(password, "first");
        await session.WaitUntilAsync(() => Chunks(folder).Count > 0, "the primary's sidecar publishes a chunk");
        return password;
    }

    /// <summary>
    /// deploy/statefulset's RBAC and webhooks, one node serving them (mounting <paramref name="folder"/> at /backups), the
    /// local BackupStorage on that folder, and the archiver.
    /// </summary>
    private static async Task NodeAndStorageAsync(ClusterSession session, string folder)
    {
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
    }

    private static async Task WriteAsync(string password, string id)
    {
        var client = Client($"mongodb://root:{password}@mg-0.mg-pods.demo.svc:27017/?replicaSet=rs0&authSource=admin");
        try
        {
            await client.GetDatabase("app").GetCollection<MongoDB.Bson.BsonDocument>("c").InsertOneAsync(new MongoDB.Bson.BsonDocument("_id", id));
        }
        finally
        {
            ClusterSession.Dispose(client);
        }
    }

    private static List<string> Chunks(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => f.Contains("/oplog/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static List<string> Containers(JsonNode? podOrTemplate) =>
        [.. (podOrTemplate?["spec"]?["containers"] as JsonArray ?? []).Select(c => Text(c?["name"]))];
}
