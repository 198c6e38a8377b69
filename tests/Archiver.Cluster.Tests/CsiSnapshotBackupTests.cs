using System.Text.Json.Nodes;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Cli;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// Full backups with <c>spec.fullBackup.driver: CSISnapshotter</c> as a cluster runs them (docs/cluster.md, "Full backups
/// with volume snapshots"): one archiver node, a three-member KubeDB MongoDB it archives, writes going on, and
/// <c>archiver backup --node</c>. The node runs a Job whose pod (the archiver image, as the Job's service account)
/// locks a secondary, snapshots its <c>datadir</c> claim through the stand-in's CSI machinery and publishes the
/// manifest the node reads; the snapshot holds the member's data exactly at the position the manifest records, and a
/// MongoDB whose claim is restored from it starts from that data. And the fault the Lease exists for: the Job's pod
/// killed (SIGKILL) while it holds the lock, released by the node.
/// </summary>
[Trait("Category", "E2E")]
public sealed class CsiSnapshotBackupTests
{
    private const string Node = "http://archiver-0.archiver.archiver.svc:7780";
    private const string Token = "a-test-token";
    private const string Prefix = "db/MongoDB/demo/mg";
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/demo/leases/mg-archiver-fsync-lock";

    [Fact]
    public async Task A_CSISnapshotter_backup_is_a_Job_whose_snapshot_of_a_locked_secondary_holds_exactly_the_position_its_manifest_records()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            var password = await ArchivedDatabaseAsync(session, folder);
            var source = Client(ReplicaSetUri(password));
            using var stop = new CancellationTokenSource();
            var writes = WriteUntilAsync(source, stop.Token);
            try
            {
                await session.WaitUntilAsync(() => writes.IsFaulted || Written > 20, "the writer is writing");
                var before = Written;

                var (code, output) = await BackupAsync();

                Assert.True(code == 0, $"archiver backup exited {code}:\n{output}\n{NodeLog(session)}");
                Assert.True(Written > before, "no write went through while the backup ran");
                await stop.CancelAsync();
                await writes;
                var runId = RunIdOf(output);
                var job = $"mg-full-{runId}-1";

                // The Job ran the archiver image in a pod and completed; the node recorded the backup it published.
                var completed = session.Get($"/apis/batch/v1/namespaces/demo/jobs/{job}");
                Assert.Equal("True", Condition(completed, "Complete"));
                var manifest = await BackupOfAsync(folder, job);
                Assert.Equal((BackupStatus.Succeeded, "CSISnapshotter"), (manifest.Status, manifest.Driver));
                Assert.Contains($"backup {manifest.Id} of demo/mg finished", output, StringComparison.Ordinal);
                var snapshotResource = await session.WaitForAsync($"/apis/storage.kubestash.com/v1alpha1/namespaces/demo/snapshots/mg-full-{runId}",
                    s => Text(s?["status"]?["phase"]) == "Succeeded");
                Assert.Equal(manifest.Id, Text(snapshotResource!["spec"]?["snapshotID"]));
                Assert.Equal(1, snapshotResource["status"]?["totalComponents"]?.GetValue<int>());
                Assert.Equal(job, Text(snapshotResource["spec"]?["components"]?[0]?["volumeSnapshotterStats"]?[0]?["volumeSnapshotName"]));

                // The VolumeSnapshot the manifest names: ready, of a secondary's datadir claim, at the recorded cut.
                var record = Assert.Single(manifest.VolumeSnapshots);
                Assert.Equal(("demo", job, "standin-snapshots"), (record.Namespace, record.Name, record.ClassName));
                Assert.Equal($"datadir-{record.Member.Split('.')[0]}", record.Claim);
                Assert.Equal(manifest.ConsistentAt, record.Ts);
                var snapshot = session.Get($"/apis/snapshot.storage.k8s.io/v1/namespaces/demo/volumesnapshots/{job}");
                Assert.True(snapshot?["status"]?["readyToUse"]?.GetValue<bool>() == true, snapshot?.ToJsonString());
                Assert.Equal(record.Claim, Text(snapshot!["spec"]?["source"]?["persistentVolumeClaimName"]));
                Assert.Equal(record.ContentName, Text(snapshot["status"]?["boundVolumeSnapshotContentName"]));
                Assert.Equal(record.CreatedAt, DateTimeOffset.Parse(Text(snapshot["status"]?["creationTime"]), System.Globalization.CultureInfo.InvariantCulture));

                // The snapshot's files, started as a replica set of their own, end exactly at the recorded ts and hold
                // exactly the writes logged up to it.
                var ts = new BsonTimestamp((int)record.Ts.Seconds, (int)record.Ts.Increment);
                var logged = await source.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
                    .CountDocumentsAsync(new BsonDocument { { "ns", "app.c" }, { "op", "i" }, { "ts", new BsonDocument("$lte", ts) } });
                Assert.True(logged > 0, "the snapshot's position is before every write");
                Assert.True(logged < Written, "the snapshot's position is after every write: it proves nothing about its position");
                var content = session.Get($"/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents/{record.ContentName}");
                var copy = Path.Combine(folder, "restored");
                CopyTree(session.Cluster.SnapshotFolderOf(Text(content?["status"]?["snapshotHandle"]))!, copy);
                await using (var restored = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, ReplicaSetName = "copy", DataDirectories = [copy] }))
                {
                    var last = restored.LastAppliedTimestamp;
                    Assert.Equal(record.Ts, new OplogTimestamp((uint)last.Timestamp, (uint)last.Increment));
                    Assert.Equal(logged, await CountAsync(restored.ConnectionString));
                }

                // And as a cluster restores it: a claim made from the VolumeSnapshot, named as KubeDB's StatefulSet claims
                // its first member's, from which that member starts.
                await session.ApplyAsync($$$"""
                    apiVersion: v1
                    kind: PersistentVolumeClaim
                    metadata: {name: datadir-copy-0, namespace: demo}
                    spec:
                      accessModes: [ReadWriteOnce]
                      resources: {requests: {storage: 1Gi}}
                      dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: {{{job}}}}
                    ---
                    apiVersion: kubedb.com/v1alpha2
                    kind: MongoDB
                    metadata: {name: copy, namespace: demo}
                    spec:
                      version: "7.0.21"
                      replicas: 1
                      replicaSet: {name: rs0}
                      storage:
                        resources: {requests: {storage: 1Gi}}
                    """);
                await session.WaitForPhaseAsync("demo", "copy", "Ready");
                var copyPassword = session.SecretValue("demo", "copy-auth", "password");
                Assert.Equal(logged, await CountAsync($"mongodb://root:{Uri.EscapeDataString(copyPassword)}@copy-0.copy-pods.demo.svc:27017/?directConnection=true&authSource=admin"));

                await AssertNothingHeldAsync(session, password);

                // kubectl get, with crds.yaml's printer columns: the archiver and the backup's Snapshot (the database was configured
                // at admission, with no ops request).
                var archivers = (await session.Kubectl.RunAsync("get", "mongodbarchivers", "-n", "demo", "-o", "wide")).Succeeded().Output;
                Assert.Matches(@"NAME\s+PHASE\s+DATABASES\s+STORAGE\s+SCHEDULE\s+AGE", archivers);
                Assert.Matches(@"snapshots\s+Current\s+1\s+local\s+@yearly\s+\d+", archivers);
                var snapshots = (await session.Kubectl.RunAsync("get", "snapshots.storage.kubestash.com", "-n", "demo")).Succeeded().Output;
                Assert.Matches(@"NAME\s+TYPE\s+DATABASE\s+PHASE\s+SIZE\s+VERIFICATION\s+AGE", snapshots);
                Assert.Matches($@"mg-full-{runId}\s+FullBackup\s+mg\s+Succeeded\s+", snapshots);

                // The next backup: the scheduler keeps one successful Job (successfulJobsHistoryLimit: 1), so the first
                // goes, with its pod, once the second has completed.
                var (nextCode, nextOutput) = await BackupAsync();
                Assert.True(nextCode == 0, $"archiver backup exited {nextCode}:\n{nextOutput}\n{NodeLog(session)}");
                var nextJob = $"mg-full-{RunIdOf(nextOutput)}-1";
                await session.WaitForAsync($"/apis/batch/v1/namespaces/demo/jobs/{job}", j => j is null);
                await session.WaitUntilAsync(() => !session.Cluster.Api.List("/api/v1/namespaces/demo/pods").Any(p => Text(p["metadata"]?["labels"]?["job-name"]) == job), $"the pods of {job} deleted with it");
                Assert.Equal("True", Condition(session.Get($"/apis/batch/v1/namespaces/demo/jobs/{nextJob}"), "Complete"));
                Assert.NotNull(session.Get($"/apis/snapshot.storage.k8s.io/v1/namespaces/demo/volumesnapshots/{job}")); // the backup itself stays
            }
            finally
            {
                await stop.CancelAsync();
                ClusterSession.Dispose(source);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A database restored to a point after a CSISnapshotter backup: the claims webhook makes each member's data claim
    /// from the backup's VolumeSnapshot, every member starts from it, and the oplog archived after its recorded position
    /// is replayed to the target: the restored database holds exactly the writes up to the target.
    /// </summary>
    [Fact]
    public async Task A_database_restored_from_a_CSISnapshotter_backup_in_its_namespace_or_another_starts_from_the_snapshot_and_equals_the_source_at_the_target()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            var password = await ArchivedDatabaseAsync(session, folder);
            var source = Client(ReplicaSetUri(password));
            try
            {
                using var writing = new CancellationTokenSource();
                var writes = WriteUntilAsync(source, writing.Token);
                await session.WaitUntilAsync(() => writes.IsFaulted || Written > 20, "the writer is writing");
                var (code, output) = await BackupAsync();
                Assert.True(code == 0, $"archiver backup exited {code}:\n{output}\n{NodeLog(session)}");
                var manifest = await BackupOfAsync(folder, $"mg-full-{RunIdOf(output)}-1");
                await session.WaitUntilAsync(() => Written > 60, "writes after the backup");
                await writing.CancelAsync();
                await writes;

                // The target: after the snapshot's position, with writes after it that the restore must leave out.
                var collection = source.GetDatabase("app").GetCollection<BsonDocument>("c");
                var expected = await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
                await Task.Delay(50);
                var target = DateTimeOffset.UtcNow;
                await Task.Delay(50);
                await collection.InsertManyAsync(Enumerable.Range(0, 25).Select(i => new BsonDocument { { "_id", $"after-{i}" } }));
                // Recoverable past the target once those writes are archived (a window ends at its last archived entry's
                // time: waiting for the client's clock after the reply would wait for the next periodic no-op too).
                await session.WaitForAsync("/apis/kubedb.com/v1alpha2/namespaces/demo/mongodbs/mg", m => (m?["status"]?["archiver"]?["recoverableWindows"] as JsonArray ?? [])
                    .Any(w => DateTimeOffset.TryParse(Text(w?["end"]), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var end) && end >= target));

                // Restored twice at once under one name: beside the source, and into another namespace (a claim's data
                // source is a VolumeSnapshot of its own namespace: there the snapshot's data is bound again, then let go).
                await session.ApplyAsync($$"""
                    apiVersion: v1
                    kind: Namespace
                    metadata: {name: dr}
                    ---
                    apiVersion: v1
                    kind: Secret
                    metadata: {name: mg-auth, namespace: dr}
                    stringData: {username: root, password: "{{password}}"}
                    """);
                foreach (var ns in Namespaces)
                {
                    await session.ApplyAsync($$$"""
                        apiVersion: kubedb.com/v1alpha2
                        kind: MongoDB
                        metadata: {name: mg-restored, namespace: {{{ns}}}}
                        spec:
                          version: "7.0.21"
                          replicas: 3
                          replicaSet: {name: rs0}
                          authSecret: {name: mg-auth}
                          storage:
                            resources: {requests: {storage: 1Gi}}
                          init:
                            archiver:
                              recoveryTimeStamp: "{{{target.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ}}}"
                              repository: {name: local, namespace: demo}
                              prefix: {{{Prefix}}}
                        """);
                }

                var snapshot = Assert.Single(manifest.VolumeSnapshots);
                foreach (var ns in Namespaces)
                {
                    var restoredDb = await session.Cluster.WaitForAsync($"/apis/kubedb.com/v1alpha2/namespaces/{ns}/mongodbs/mg-restored",
                        m => Text(m?["status"]?["archiver"]?["phase"]) is "Restored" or "RestoreFailed", TimeSpan.FromSeconds(150));
                    Assert.True(Text(restoredDb?["status"]?["archiver"]?["phase"]) == "Restored", $"{ns}: {restoredDb?["status"]?.ToJsonString()}\n{NodeLog(session)}");
                    Assert.Equal(snapshot.Name, Text(restoredDb!["status"]?["archiver"]?["restore"]?["baseVolumeSnapshot"]));

                    // Every member's claim was made from the backup's VolumeSnapshot (in dr, its copy), before Restored.
                    foreach (var i in Enumerable.Range(0, 3))
                    {
                        var claim = session.Get($"/api/v1/namespaces/{ns}/persistentvolumeclaims/datadir-mg-restored-{i}");
                        Assert.Equal(("VolumeSnapshot", snapshot.Name), (Text(claim?["spec"]?["dataSource"]?["kind"]), Text(claim?["spec"]?["dataSource"]?["name"])));
                    }

                    var restored = Client($"mongodb://root:{Uri.EscapeDataString(password)}@mg-restored-0.mg-restored-pods.{ns}.svc:27017,mg-restored-1.mg-restored-pods.{ns}.svc:27017,mg-restored-2.mg-restored-pods.{ns}.svc:27017/?replicaSet=rs0&authSource=admin");
                    try
                    {
                        var documents = restored.GetDatabase("app").GetCollection<BsonDocument>("c");
                        Assert.Equal(expected, await documents.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
                        Assert.Equal(0, await documents.CountDocumentsAsync(new BsonDocument("_id", new BsonDocument("$regex", "^after-"))));
                    }
                    finally
                    {
                        ClusterSession.Dispose(restored);
                    }
                }

                // The copy in dr and its content are gone once its claims were made; the backup's own snapshot is not.
                await session.WaitForAsync($"/apis/snapshot.storage.k8s.io/v1/namespaces/dr/volumesnapshots/{snapshot.Name}", c => c is null);
                await session.WaitForAsync($"/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents/archiver-dr-{snapshot.Name}", c => c is null);
                var kept = session.Get($"/apis/snapshot.storage.k8s.io/v1/namespaces/demo/volumesnapshots/{snapshot.Name}");
                Assert.True(kept?["status"]?["readyToUse"]?.GetValue<bool>() == true, kept?.ToJsonString());
            }
            finally
            {
                ClusterSession.Dispose(source);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The Job's pod killed outright while a member is locked for its cut (the stand-in holds the cut, as a slow storage
    /// system would): it cannot unlock, so the node, seeing the Job failed, unlocks the member the Lease names and
    /// deletes the Lease, before the cut is let go; the archiver's failure policy's next attempt then succeeds.
    /// </summary>
    [Fact]
    public async Task A_backup_Job_killed_while_it_holds_the_lock_leaves_it_to_the_node_to_release_and_the_next_attempt_succeeds()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-backups-").FullName;
        try
        {
            await using var session = await StartAsync("demo", "archiver");
            var password = await ArchivedDatabaseAsync(session, folder);
            var set = session.Cluster.ReplicaSetOf("demo", "mg")!;
            var cuts = session.Cluster.HoldSnapshotCuts();
            Task<(int Code, string Output)> backup;
            string pod;
            try
            {
                backup = BackupAsync();
                await session.WaitUntilAsync(() => backup.IsCompleted || (Locked(set).Count == 1 && session.Get(LeasePath) is not null), "the backup Job's pod locks a member for its cut");
                Assert.False(backup.IsCompleted, backup.IsCompleted ? (await backup).Output : "");
                pod = Text((await session.ListAsync("demo", "pods")).Single(p => Text(p["metadata"]?["labels"]?["job-name"]).EndsWith("-1", StringComparison.Ordinal))["metadata"]?["name"]);
                var locked = Locked(set).Single();

                Assert.True(await session.Cluster.KillContainerAsync("demo", pod, "volume-snapshot"), $"container volume-snapshot of {pod} is not running");

                // Released by the node (its service account deleted the Lease), with the cut still held.
                await session.WaitUntilAsync(() => Locked(set).Count == 0 && session.Get(LeasePath) is null, $"member {locked} unlocked and the Lease deleted after {pod} was killed");
                Assert.Contains(session.Cluster.Api.Authorized, a => a.User == "system:serviceaccount:archiver:archiver" && a.Verb == "delete" && a.Resource == "leases");
                var killed = (await session.ListAsync("demo", "pods")).Single(p => Text(p["metadata"]?["name"]) == pod);
                Assert.Equal("Failed", Text(killed["status"]?["phase"]));
                Assert.Equal(137, killed["status"]?["containerStatuses"]?[0]?["state"]?["terminated"]?["exitCode"]?.GetValue<int>());
            }
            finally
            {
                cuts.Dispose();
            }

            var (code, output) = await backup;

            Assert.True(code == 0, $"archiver backup exited {code}:\n{output}\n{NodeLog(session)}");
            var runId = RunIdOf(output);
            Assert.Contains($"attempt 1 failed: backup Job demo/mg-full-{runId}-1 failed", output, StringComparison.Ordinal);
            Assert.Equal("True", Condition(session.Get($"/apis/batch/v1/namespaces/demo/jobs/mg-full-{runId}-1"), "Failed"));
            Assert.Equal("True", Condition(session.Get($"/apis/batch/v1/namespaces/demo/jobs/mg-full-{runId}-2"), "Complete"));
            var manifest = await BackupOfAsync(folder, $"mg-full-{runId}-2");
            Assert.Equal(BackupStatus.Succeeded, manifest.Status);
            Assert.Equal($"mg-full-{runId}-2", Assert.Single(manifest.VolumeSnapshots).Name);
            // The killed attempt's snapshot, which no manifest names, is deleted by the node.
            await session.WaitForAsync($"/apis/snapshot.storage.k8s.io/v1/namespaces/demo/volumesnapshots/mg-full-{runId}-1", s => s is null);
            await AssertNothingHeldAsync(session, password);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static readonly string[] Namespaces = ["demo", "dr"];

    private static int _written;

    private static int Written => Volatile.Read(ref _written);

    /// <summary>
    /// deploy/statefulset's RBAC and webhooks, one node serving them (mounting <paramref name="folder"/> at /backups), a
    /// local BackupStorage there, a VolumeSnapshotClass of the stand-in's CSI driver, the archiver with the CSISnapshotter
    /// driver, and a three-member MongoDB it selects, archiving. Returns the database's root password.
    /// </summary>
    private static async Task<string> ArchivedDatabaseAsync(ClusterSession session, string folder)
    {
        Volatile.Write(ref _written, 0);
        // The printer columns of the kinds whose `kubectl get` is checked, from crds.yaml (the stand-in serves KubeDB's
        // MongoDB as KubeDB's own CRD does, which a cluster with KubeDB keeps).
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
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshotClass
            metadata: {name: standin-snapshots}
            driver: hostpath.csi.k8s.io
            deletionPolicy: Delete
            ---
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
            metadata: {name: snapshots, namespace: demo}
            spec:
              databases:
                namespaces: {from: Same}
                selector: {matchLabels: {archiver: "true"}}
              fullBackup:
                driver: CSISnapshotter
                csiSnapshotter: {volumeSnapshotClassName: standin-snapshots}
                scheduler: {schedule: "@yearly", successfulJobsHistoryLimit: 1}
                failurePolicy: Retry
                retryConfig: {maxRetry: 2, delay: 5s}
              backupStorage:
                ref: {name: local, namespace: demo}
                prefix: "db/$APP_KIND/$APP_NAMESPACE/$APP_NAME"
              deletionPolicy: Delete
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
              replicas: 3
              replicaSet: {name: rs0}
              storage:
                resources: {requests: {storage: 1Gi}}
            """);
        try
        {
            await session.WaitForAsync("/apis/kubedb.com/v1alpha2/namespaces/demo/mongodbs/mg",
                m => Text(m?["status"]?["phase"]) == "Ready" && Text(m?["status"]?["archiver"]?["phase"]) == "Archiving");
            foreach (var i in Enumerable.Range(0, 3)) await session.WaitForAsync($"/api/v1/namespaces/demo/pods/mg-{i}", Ready);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{NodeLog(session)}", e);
        }

        return session.SecretValue("demo", "mg-auth", "password");
    }

    /// <summary><c>archiver backup demo/mg --node …</c> as a user runs it, waiting for the backup's end.</summary>
    private static async Task<(int Code, string Output)> BackupAsync()
    {
        var output = new StringWriter();
        var code = await ArchiverCli.RunAsync(["backup", "demo/mg", "--node", Node, "--token", Token, "--timeout", "150"], output, output);
        return (code, output.ToString());
    }

    private static string RunIdOf(string output)
    {
        var line = output.Split('\n').First(l => l.StartsWith("backup ", StringComparison.Ordinal) && l.Contains(" started", StringComparison.Ordinal));
        return line.Split(' ')[1];
    }

    /// <summary>The manifest the Job named <paramref name="origin"/> published in the repository.</summary>
    private static async Task<BackupManifest> BackupOfAsync(string folder, string origin)
    {
        var catalog = await RepositoryCatalog.LoadAsync(new LocalFolderStore(folder), new RepositoryLayout(Prefix));
        return Assert.Single(catalog.Timelines.SelectMany(t => t.Backups), b => b.Origin == origin);
    }

    /// <summary>No member fsync-locked (each asked with <c>currentOp</c>, as mongod reports its lock), and no Lease left.</summary>
    private static async Task AssertNothingHeldAsync(ClusterSession session, string password)
    {
        foreach (var i in Enumerable.Range(0, 3))
        {
            var member = Client($"mongodb://root:{Uri.EscapeDataString(password)}@mg-{i}.mg-pods.demo.svc:27017/?directConnection=true&authSource=admin");
            try
            {
                var current = await member.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("currentOp", 1));
                Assert.False(current.GetValue("fsyncLock", false).ToBoolean(), $"member {i} is left fsync-locked: {current}");
            }
            finally
            {
                ClusterSession.Dispose(member);
            }
        }

        Assert.Empty(Locked(session.Cluster.ReplicaSetOf("demo", "mg")!));
        Assert.Null(session.Get(LeasePath));
    }

    /// <summary>The documents of the writer's collection that a replica set holds.</summary>
    private static async Task<long> CountAsync(string uri)
    {
        var client = Client(uri);
        try
        {
            return await client.GetDatabase("app").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
        }
        finally
        {
            ClusterSession.Dispose(client);
        }
    }

    private static List<int> Locked(MongoEmulator set) => [.. Enumerable.Range(0, 3).Where(set.IsFsyncLocked)];

    private static string Condition(JsonObject? job, string type) =>
        (job?["status"]?["conditions"] as JsonArray ?? []).Where(c => Text(c?["type"]) == type).Select(c => Text(c?["status"])).FirstOrDefault() ?? "";

    private static string ReplicaSetUri(string password) =>
        $"mongodb://root:{Uri.EscapeDataString(password)}@mg-0.mg-pods.demo.svc:27017,mg-1.mg-pods.demo.svc:27017,mg-2.mg-pods.demo.svc:27017/?replicaSet=rs0&authSource=admin";

    /// <summary>One insert after another through the replica set until stopped; counts those that succeeded.</summary>
    private static async Task WriteUntilAsync(IMongoClient client, CancellationToken stop)
    {
        var collection = client.GetDatabase("app").GetCollection<BsonDocument>("c");
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            await collection.InsertOneAsync(new BsonDocument { { "_id", i }, { "at", DateTime.UtcNow } }, cancellationToken: CancellationToken.None);
            Interlocked.Increment(ref _written);
            await Task.Delay(10, CancellationToken.None);
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.EnumerateDirectories(from)) CopyTree(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    /// <summary>The node's last log lines and the backup Jobs' pods' logs (<c>kubectl logs</c> is not served by the stand-in), for a failure's message.</summary>
    private static string NodeLog(ClusterSession session)
    {
        var jobs = session.Cluster.Api.List("/api/v1/namespaces/demo/pods")
            .Select(p => Text(p["metadata"]?["name"]))
            .Where(p => p.StartsWith("mg-full-", StringComparison.Ordinal))
            .Select(p => $"\n{p}'s log:\n{session.Cluster.LogsOf("demo", p, "volume-snapshot")}");
        return $"the node's log:\n{string.Join('\n', (session.Cluster.LogsOf("archiver", "archiver-0", "archiver") ?? "").Split('\n').TakeLast(40))}{string.Concat(jobs)}";
    }
}
