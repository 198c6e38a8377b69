using System.Text;
using System.Text.Json;
using Archiver.Actors.Ports;
using Archiver.Kubernetes;
using Archiver.Messages.Protocol;
using k8s;
using MongoDB.Bson;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// Cluster mode's archiving path with nothing stood in for but the cluster: the product's own workloads adapter injects
/// its sidecar into KubeDB's StatefulSet and binds its role to the pods' service account, the rollout puts one into
/// each member's pod, the primary's archives the oplog into a hostPath volume and reports into its pod's annotation
/// with the pod's own token, and when the primary's pod
/// is deleted the new primary's sidecar takes over.
/// </summary>
[Trait("Category", "E2E")]
public sealed class SidecarTests
{
    [Fact]
    public async Task The_sidecar_the_product_injects_archives_from_the_primarys_pod_and_the_new_primarys_takes_over_when_it_is_deleted()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            await session.ApplyAsync(MongoDbProvisioningTests.MongoDB("kubedb.com/v1alpha2", "mg-rs"));
            (await session.Kubectl.RunAsync("apply", "-f", "deploy/statefulset/rbac.yaml")).Succeeded();
            await session.ApplyAsync($$"""
                apiVersion: storage.kubestash.com/v1alpha1
                kind: BackupStorage
                metadata: {name: local, namespace: demo}
                spec:
                  storage:
                    provider: local
                    local:
                      mountPath: /backups
                      hostPath: {path: "{{folder}}"}
                """);
            await session.WaitForPhaseAsync("demo", "mg-rs", "Ready");
            var uid = Text(session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-rs")?["metadata"]?["uid"]);
            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(new MemoryStream(Encoding.UTF8.GetBytes(session.Cluster.Kubeconfig()))));
            var workloads = new KubernetesWorkloads(client, new KubernetesResourceStore(client), new KubernetesWorkloadsOptions
            {
                // The hostPath volume is the test's own folder: this process is the node, and it sees the folder there.
                LocalFolderProblem = _ => null,
            });
            var database = new ResourceId("demo", "mg-rs");

            await workloads.EnsureArchivingAsync(database, new ArchivingSpec(new ResourceId("demo", "local"), "db/MongoDB/demo/mg-rs", "h1", TimeSpan.FromSeconds(1), 1024 * 1024, uid));
            // KubeDB's StatefulSet is OnDelete: the rollout is driven as the RestartPods step drives it, a pod at a time.
            var rollout = new List<string>();
            await session.WaitUntilAsync(() =>
            {
                var progress = workloads.RolloutAsync(database).GetAwaiter().GetResult();
                if (rollout.LastOrDefault() != progress.Message) rollout.Add(progress.Message);
                return progress.Done;
            }, "the sidecar rolled into the three pods");
            Assert.Equal(3, rollout.Count(m => m.Contains("deleted pod", StringComparison.Ordinal)));
            Assert.Contains("deleted pod mg-rs-0", rollout.Last(m => m.Contains("deleted pod", StringComparison.Ordinal)), StringComparison.Ordinal);
            var archiving = await ReportAsync(session, workloads, database, DateTimeOffset.MinValue);
            var primary = (await session.ListAsync("demo", "pods")).Single(p => Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary");
            var deletedAt = DateTimeOffset.UtcNow;
            (await session.Kubectl.RunAsync("delete", "pod", Text(primary["metadata"]?["name"]), "-n", "demo")).Succeeded();
            var password = session.SecretValue("demo", "mg-rs-auth", "password");
            var mongo = Client($"mongodb://root:{password}@mg-rs.demo.svc:27017/?replicaSet=rs0&authSource=admin");
            try
            {
                await mongo.GetDatabase("app").GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", "after the failover"));
            }
            finally
            {
                ClusterSession.Dispose(mongo);
            }

            var takenOver = await ReportAsync(session, workloads, database, deletedAt);
            var pods = await session.ListAsync("demo", "pods");
            var newPrimary = pods.Single(p => Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary");
            var reportOfNewPrimary = JsonDocument.Parse(Text(newPrimary["metadata"]?["annotations"]?["archiver.kubedb.com/report"])).RootElement;
            var chunks = Directory.GetFiles(Path.Combine(folder, "db/MongoDB/demo/mg-rs/oplog/rs0"), "*.oplog", SearchOption.AllDirectories);

            Assert.All(pods, p => Assert.Equal(["mongodb", "archiver"], (p["spec"]?["containers"]?.AsArray() ?? []).Select(c => Text(c?["name"]))));
            Assert.NotNull(archiving.WalEnd);
            Assert.NotEqual(Text(primary["metadata"]?["name"]), Text(newPrimary["metadata"]?["name"]));
            Assert.False(reportOfNewPrimary.GetProperty("standby").GetBoolean());
            Assert.True(takenOver.WalEnd >= archiving.WalEnd);
            Assert.NotEmpty(chunks);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The archiving member's report, as the product reads it, once one is newer than <paramref name="after"/>.</summary>
    private static async Task<ArchivingReport> ReportAsync(ClusterSession session, KubernetesWorkloads workloads, ResourceId database, DateTimeOffset after)
    {
        ArchivingReport? report = null;
        await session.WaitUntilAsync(() =>
        {
            report = workloads.ReportAsync(database).GetAwaiter().GetResult();
            return report is { Standby: false, WalEnd: not null } && report.ReportedAt > after;
        }, "the primary's sidecar reports that it archives");
        return report!;
    }
}
