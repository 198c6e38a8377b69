using System.Text.Json.Nodes;
using Archiver.Host.Cli;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// A sharded KubeDB MongoDB archived by a cluster node (docs/sharded.md, "In a cluster"): the archiver selects it, its
/// ops request puts the sidecar into the config server's and each shard's workload (never the routers') and rolls them,
/// each replica set's primary sidecar files its oplog under its replica set's name, the database's status lists the
/// three, and a Logical full backup goes through the routers (the primary Service) to every shard at KubeDB's host
/// names (getShardMap); unselected, its disable takes every sidecar out; and an archiver with the CSISnapshotter
/// driver refuses a sharded database (Unsupported), which its creation does not change (no spec.archiver).
/// </summary>
[Trait("Category", "E2E")]
public sealed class ShardedArchivingTests
{
    private const string Node = "http://archiver-0.archiver.archiver.svc:7780";
    private const string Prefix = "db/MongoDB/demo/mg-sh";
    private static readonly string[] Components = ["cnfRepSet", "shard0", "shard1"];

    [Fact]
    public Task A_sharded_MongoDB_gets_a_sidecar_per_replica_set_whose_chunks_and_status_name_it_and_a_Logical_backup_through_its_routers() => OnArchivedShardedDatabaseAsync(test: async (session, folder) =>
    {
        var router = Client(RouterUri(session, "mg-sh"));
        try
        {
            await (await ShardedCollectionAsync(router)).InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument("_id", i)));
        }
        finally
        {
            ClusterSession.Dispose(router);
        }

        // Each replica set's chunks under its own name, from its own primary's sidecar.
        string[] Chunks(string component)
        {
            var dir = Path.Combine(folder, Prefix, "oplog", component);
            return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.oplog", SearchOption.AllDirectories) : [];
        }

        try
        {
            await session.WaitUntilAsync(() => Components.All(c => Chunks(c).Length > 0), "chunks of the config server and both shards");
            await session.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh",
                m => (m?["status"]?["archiver"]?["components"] as JsonArray ?? []).Count == Components.Length);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nchunks: {string.Join(", ", Components.Select(c => $"{c}: {Chunks(c).Length}"))}\n{NodeLog(session)}", e);
        }

        var pods = await session.ListAsync("demo", "pods");
        var database = session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh");
        var listed = (database?["status"]?["archiver"]?["components"] as JsonArray ?? []).Select(c => Text(c?["component"])).Order().ToList();

        Assert.All(pods.Where(p => !Text(p["metadata"]?["name"]).StartsWith("mg-sh-mongos-", StringComparison.Ordinal)),
            p => Assert.Equal(["mongodb", "archiver"], (p["spec"]?["containers"]?.AsArray() ?? []).Select(c => Text(c?["name"]))));
        var routerPod = Assert.Single(pods, p => Text(p["metadata"]?["name"]).StartsWith("mg-sh-mongos-", StringComparison.Ordinal));
        Assert.DoesNotContain("archiver", (routerPod["spec"]?["containers"]?.AsArray() ?? []).Select(c => Text(c?["name"])));
        Assert.Equal(4, pods.Count);
        Assert.Equal(Components, listed);

        await BackupAsync(session);
        var catalog = await RepositoryCatalog.LoadAsync(new LocalFolderStore(folder), new RepositoryLayout(Prefix));
        var backup = Assert.Single(catalog.Timelines.SelectMany(t => t.Backups), b => b.Status == BackupStatus.Succeeded);
        // A dump of every replica set, found through the routers (getShardMap at KubeDB's host names).
        Assert.Equal("archiver-logical", backup.Driver);
        Assert.Equal(Components, backup.Components.Order());
        Assert.Equal("cnfRepSet", backup.ConfigServer);

        // No longer selected: its disable takes the sidecar out of every member workload and rolls them again.
        (await session.Kubectl.RunAsync("label", "mongodbs.kubedb.com", "mg-sh", "-n", "demo", "archiver-")).Succeeded();
        try
        {
            await session.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh", m => Text(m?["status"]?["archiver"]?["phase"]) == "Disabled");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{NodeLog(session)}", e);
        }

        var disabled = await session.ListAsync("demo", "pods");
        Assert.Equal(4, disabled.Count);
        Assert.All(disabled, p => Assert.DoesNotContain("archiver", (p["spec"]?["containers"]?.AsArray() ?? []).Select(c => Text(c?["name"]))));
        Assert.All(await session.ListAsync("demo", "petsets"),
            w => Assert.DoesNotContain("archiver", (w["spec"]?["template"]?["spec"]?["containers"]?.AsArray() ?? []).Select(c => Text(c?["name"]))));

        // CSISnapshotter is not done for a sharded cluster in a cluster: its archiver says so and configures nothing,
        // though the database is selected at its creation (the MongoDB webhook gives it no spec.archiver).
        await session.ApplyAsync("""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: snapshots, namespace: demo}
            spec:
              databases:
                namespaces: {from: Same}
                selector: {matchLabels: {csi: "true"}}
              fullBackup:
                driver: CSISnapshotter
                csiSnapshotter: {volumeSnapshotClassName: standin-snapshots}
                scheduler: {schedule: "@yearly"}
              backupStorage:
                ref: {name: local, namespace: demo}
                prefix: "db/$APP_KIND/$APP_NAMESPACE/$APP_NAME"
              deletionPolicy: Delete
            ---
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg-csi, namespace: demo, labels: {csi: "true"}}
            spec:
              version: "7.0.21"
              shardTopology:
                shard: {shards: 1, replicas: 1, storage: {resources: {requests: {storage: 1Gi}}}}
                configServer: {replicas: 1, storage: {resources: {requests: {storage: 1Gi}}}}
                mongos: {replicas: 1}
            """);
        var refusing = await session.WaitForAsync("/apis/archiver.kubedb.com/v1alpha1/namespaces/demo/mongodbarchivers/snapshots",
            a => (a?["status"]?["conditions"] as JsonArray ?? []).Any(c => Text(c?["type"]) == "Unsupported" && Text(c?["status"]) == "True"));
        var unsupported = (refusing!["status"]?["conditions"] as JsonArray ?? []).Single(c => Text(c?["type"]) == "Unsupported");
        Assert.StartsWith("demo/mg-csi: a sharded cluster (spec.shardTopology) is not backed up with spec.fullBackup.driver: CSISnapshotter", Text(unsupported?["message"]), StringComparison.Ordinal);
        Assert.Null(session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-csi")!["spec"]?["archiver"]);
        Assert.DoesNotContain(await session.ListAsync("demo", "mongodbopsrequests"), r => Text(r["spec"]?["databaseRef"]?["name"]) == "mg-csi");
    });

    /// <summary>
    /// Restored in a cluster: a sharded MongoDB with <c>spec.init.archiver</c> gets the source's backup and oplog, every
    /// replica set to the same cluster time, through its own routers (the node reaches its config server and shards at
    /// KubeDB's host names); selected afterwards, its sidecars archive it on a timeline branched from the source's
    /// history, each replica set's stream starting right after its own restore's last write (its lineage's insert).
    /// </summary>
    [Fact]
    public Task A_sharded_MongoDB_restored_in_a_cluster_equals_the_source_at_the_target_and_its_sidecars_continue_the_history() => OnArchivedShardedDatabaseAsync(test: async (session, folder) =>
    {
        var source = Client(RouterUri(session, "mg-sh"));
        DateTimeOffset target;
        long expected;
        try
        {
            var collection = await ShardedCollectionAsync(source);
            await collection.InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "round", 0 } }));
            await BackupAsync(session);
            await collection.InsertManyAsync(Enumerable.Range(100, 50).Select(i => new BsonDocument { { "_id", i }, { "round", 1 } }));
            await collection.UpdateManyAsync(new BsonDocument("_id", new BsonDocument("$lt", 10)), Builders<BsonDocument>.Update.Set("round", 1));
            expected = await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
            await Task.Delay(50);
            target = DateTimeOffset.UtcNow;
            await Task.Delay(50);
            await collection.InsertManyAsync(Enumerable.Range(0, 25).Select(i => new BsonDocument { { "_id", $"after-{i}" } }));
            await collection.DeleteManyAsync(new BsonDocument("_id", new BsonDocument("$lt", 5)));
            await RecoverablePastAsync(session, target);
        }
        finally
        {
            ClusterSession.Dispose(source);
        }

        await session.ApplyAsync($$$"""
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg-sh-restored, namespace: demo}
            spec:
              version: "7.0.21"
              shardTopology:
                shard:
                  shards: 2
                  replicas: 1
                  storage:
                    resources: {requests: {storage: 1Gi}}
                configServer:
                  replicas: 1
                  storage:
                    resources: {requests: {storage: 1Gi}}
                mongos: {replicas: 1}
              init:
                archiver:
                  recoveryTimeStamp: "{{{target.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ}}}"
                  repository: {name: local, namespace: demo}
                  prefix: {{{Prefix}}}
            """);
        var restoredDb = await session.Cluster.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh-restored",
            m => Text(m?["status"]?["archiver"]?["phase"]) is "Restored" or "RestoreFailed", TimeSpan.FromSeconds(150));
        Assert.True(Text(restoredDb?["status"]?["archiver"]?["phase"]) == "Restored", $"{restoredDb?["status"]?.ToJsonString()}\n{NodeLog(session)}");

        var restored = Client(RouterUri(session, "mg-sh-restored"));
        try
        {
            // The source as it was at the target, through the restored cluster's routers.
            var documents = restored.GetDatabase("app").GetCollection<BsonDocument>("c");
            Assert.Equal(expected, await documents.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            Assert.Equal(0, await documents.CountDocumentsAsync(new BsonDocument("_id", new BsonDocument("$regex", "^after-"))));
            Assert.Equal(60, await documents.CountDocumentsAsync(new BsonDocument("round", 1)));
            Assert.Equal(1, await documents.CountDocumentsAsync(new BsonDocument("_id", 0)));

            // Selected now: its sidecars archive it under its own prefix, on a timeline branched from mg-sh's.
            (await session.Kubectl.RunAsync("label", "mongodbs.kubedb.com", "mg-sh-restored", "-n", "demo", "archiver=true")).Succeeded();
            try
            {
                await session.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh-restored",
                    m => Text(m?["status"]?["archiver"]?["phase"]) == "Archiving" && (m?["status"]?["archiver"]?["components"] as JsonArray ?? []).Count == Components.Length);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\n{session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh-restored")?["status"]?.ToJsonString()}\n{NodeLog(session)}", e);
            }

            await documents.InsertManyAsync(Enumerable.Range(1000, 20).Select(i => new BsonDocument("_id", i)));
            var layout = new RepositoryLayout(Prefix + "-restored");
            var store = new LocalFolderStore(folder);
            TimelineCatalog? branch = null;
            await session.WaitUntilAsync(() =>
            {
                branch = RepositoryCatalog.LoadAsync(store, layout).GetAwaiter().GetResult().Timelines.SingleOrDefault();
                return branch is not null && Components.All(c => branch.Component(c).Runs.Count > 0);
            }, "chunks of every replica set of the restored cluster");

            Assert.Equal((1u, Prefix), (branch!.Record!.Parent!.Value, branch.Record.ParentPrefix!));
            var topology = await Mongo.Sharding.ShardedTopology.DiscoverAsync(restored, CancellationToken.None);
            foreach (var set in topology.ReplicaSets)
            {
                var member = new MongoClient(Mongo.Sharding.ShardedTopology.SettingsFor(set, restored.Settings));
                try
                {
                    // Its own stream starts right after its own restore's last write: nothing restored is archived
                    // again, and nothing it wrote since is missed.
                    var lineage = await Mongo.Restore.LineageRecord.ReadAsync(member, CancellationToken.None);
                    Assert.NotNull(lineage?.ArchiveAfter);
                    Assert.Equal(branch.Record.BranchedAfter, lineage!.BranchedAfter);
                    Assert.Equal(lineage.ArchiveAfter, branch.Component(set.ReplicaSet).Runs[0].From);
                }
                finally
                {
                    ClusterSession.Dispose(member);
                }
            }
        }
        finally
        {
            ClusterSession.Dispose(restored);
        }
    });

    /// <summary>
    /// A shard of three members whose primary's pod is deleted: its sidecar stops archiving, the new primary's sidecar
    /// takes the shard's stream over from where its archive ends, and the cluster is recoverable past the writes made
    /// after the failover, with that shard's history one run (no gap).
    /// </summary>
    [Fact]
    public Task When_a_shards_primary_pod_is_deleted_the_new_primarys_sidecar_continues_the_shards_stream_without_a_gap() => OnArchivedShardedDatabaseAsync(shards: 1, members: 3, test: async (session, folder) =>
    {
        var router = Client(RouterUri(session, "mg-sh"));
        try
        {
            var collection = await ShardedCollectionAsync(router);
            await collection.InsertManyAsync(Enumerable.Range(0, 50).Select(i => new BsonDocument("_id", i)));
            await BackupAsync(session);

            var primary = Assert.Single(await session.ListAsync("demo", "pods"), p =>
                Text(p["metadata"]?["name"]).StartsWith("mg-sh-shard0-", StringComparison.Ordinal) && Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary");
            (await session.Kubectl.RunAsync("delete", "pod", Text(primary["metadata"]?["name"]), "-n", "demo")).Succeeded();
            // Written once the shard has elected another primary (the router answers with an error until then).
            var written = 0;
            await session.WaitUntilAsync(() =>
            {
                try
                {
                    collection.InsertOne(new BsonDocument("_id", $"after-{written}"));
                    return ++written == 20;
                }
                catch (MongoException)
                {
                    return false;
                }
            }, "writes to the shard after its failover");
            await RecoverablePastAsync(session, DateTimeOffset.UtcNow);

            var pods = await session.ListAsync("demo", "pods");
            var newPrimary = Assert.Single(pods, p =>
                Text(p["metadata"]?["name"]).StartsWith("mg-sh-shard0-", StringComparison.Ordinal) && Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary");
            var report = System.Text.Json.JsonDocument.Parse(Text(newPrimary["metadata"]?["annotations"]?["archiver.kubedb.com/report"])).RootElement;
            var catalog = await RepositoryCatalog.LoadAsync(new LocalFolderStore(folder), new RepositoryLayout(Prefix));

            Assert.NotEqual(Text(primary["metadata"]?["name"]), Text(newPrimary["metadata"]?["name"]));
            Assert.False(report.GetProperty("standby").GetBoolean());
            Assert.Single(Assert.Single(catalog.Timelines).Component("shard0").Runs);
            Assert.Equal(3, pods.Count(p => Text(p["metadata"]?["name"]).StartsWith("mg-sh-shard0-", StringComparison.Ordinal)));
        }
        finally
        {
            ClusterSession.Dispose(router);
        }
    });

    /// <summary><c>app.c</c>, sharded by a hashed <c>_id</c> through <paramref name="router"/>.</summary>
    private static async Task<IMongoCollection<BsonDocument>> ShardedCollectionAsync(MongoClient router)
    {
        var admin = router.GetDatabase("admin");
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument("enableSharding", "app"));
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "app.c" }, { "key", new BsonDocument("_id", "hashed") } });
        return router.GetDatabase("app").GetCollection<BsonDocument>("c");
    }

    /// <summary>A full backup of mg-sh now, by <c>archiver backup</c> against the node.</summary>
    private static async Task BackupAsync(ClusterSession session)
    {
        var output = new StringWriter();
        var code = await ArchiverCli.RunAsync(["backup", "demo/mg-sh", "--node", Node, "--token", "a-test-token", "--timeout", "150"], output, output);
        Assert.True(code == 0, $"archiver backup exited {code}:\n{output}\n{NodeLog(session)}");
    }

    /// <summary>Until mg-sh's status says it can be restored to <paramref name="time"/>: every replica set has archived past it.</summary>
    private static async Task RecoverablePastAsync(ClusterSession session, DateTimeOffset time)
    {
        try
        {
            await session.Cluster.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh", m => (m?["status"]?["archiver"]?["recoverableWindows"] as JsonArray ?? [])
                .Any(w => DateTimeOffset.TryParse(Text(w?["end"]), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var end) && end >= time), Patience * 2);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh")?["status"]?.ToJsonString()}\n{NodeLog(session)}", e);
        }
    }

    /// <summary>A client of a sharded database's routers (its primary Service), as root with its auth secret.</summary>
    private static string RouterUri(ClusterSession session, string name) =>
        $"mongodb://root:{Uri.EscapeDataString(session.SecretValue("demo", $"{name}-auth", "password"))}@{name}.demo.svc:27017/?authSource=admin";

    /// <summary>A test on a fresh stand-in with an archived sharded MongoDB (<see cref="ArchivedShardedDatabaseAsync"/>), its backups in a folder of its own.</summary>
    private static async Task OnArchivedShardedDatabaseAsync(Func<ClusterSession, string, Task> test, int shards = 2, int members = 1)
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            await ArchivedShardedDatabaseAsync(session, folder, shards, members);
            await test(session, folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// deploy/statefulset's RBAC and webhooks, one node serving them (mounting <paramref name="folder"/> at /backups), a
    /// local BackupStorage there, an archiver with the Logical driver, and a sharded MongoDB (by default 2 shards of one
    /// member, a config server of one, one router) it selects once the database is ready, archiving.
    /// </summary>
    private static async Task ArchivedShardedDatabaseAsync(ClusterSession session, string folder, int shards = 2, int members = 1)
    {
        var crds = (await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy/statefulset/crds.yaml"))).Split("\n---\n")
            .Where(d => d.Contains("name: mongodbarchivers.", StringComparison.Ordinal) || d.Contains("name: mongodbopsrequests.", StringComparison.Ordinal) || d.Contains("name: snapshots.", StringComparison.Ordinal));
        await session.ApplyAsync(string.Join("\n---\n", crds));
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
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: logical, namespace: demo}
            spec:
              databases:
                namespaces: {from: Same}
                selector: {matchLabels: {archiver: "true"}}
              fullBackup:
                driver: Logical
                scheduler: {schedule: "@yearly"}
              walBackup:
                config: {idleFlushInterval: 2s}
              backupStorage:
                ref: {name: local, namespace: demo}
                prefix: "db/$APP_KIND/$APP_NAMESPACE/$APP_NAME"
              deletionPolicy: Delete
            """);
        await session.ApplyAsync($$$"""
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg-sh, namespace: demo}
            spec:
              version: "7.0.21"
              shardTopology:
                shard:
                  shards: {{{shards}}}
                  replicas: {{{members}}}
                  storage:
                    resources: {requests: {storage: 1Gi}}
                configServer:
                  replicas: 1
                  storage:
                    resources: {requests: {storage: 1Gi}}
                mongos: {replicas: 1}
            """);
        // Selected once it runs: its ops request puts the sidecar into its workloads and rolls them (OnDelete, a pod at a time).
        await session.WaitForPhaseAsync("demo", "mg-sh", "Ready");
        (await session.Kubectl.RunAsync("label", "mongodbs.kubedb.com", "mg-sh", "-n", "demo", "archiver=true")).Succeeded();
        try
        {
            // The rollout deletes the member pods one at a time, each waited on until it runs again.
            await session.Cluster.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-sh",
                m => Text(m?["status"]?["phase"]) == "Ready" && Text(m?["status"]?["archiver"]?["phase"]) == "Archiving", Patience * (1 + ((shards * members) / 3)));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{NodeLog(session)}", e);
        }
    }

    /// <summary>The node's last log lines (<c>kubectl logs</c> is not served by the stand-in), for a failure's message.</summary>
    private static string NodeLog(ClusterSession session) =>
        $"the node's log:\n{string.Join('\n', (session.Cluster.LogsOf("archiver", "archiver-0", "archiver") ?? "").Split('\n').TakeLast(60))}"
        + string.Concat(new[] { "mg-sh-configsvr-0", "mg-sh-shard0-0", "mg-sh-shard1-0" }.Select(p => $"\n{p}'s sidecar:\n{string.Join('\n', (session.Cluster.LogsOf("demo", p, "archiver") ?? "").Split('\n').TakeLast(10))}"));
}
