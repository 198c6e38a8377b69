using Archiver.Host.Cli;
using k8s;
using k8s.Models;

namespace Archiver.Cluster.Tests;

/// <summary>
/// <c>archiver demo --cluster</c> end to end, as a user runs it: deploy/statefulset applied with kubectl as written,
/// three archiver pods on PostgreSQL, KubeDB's replica set with the injected sidecars, an encrypted S3 storage, a node
/// killed mid-request, a restore through <c>spec.init.archiver</c> compared with the source. Then least privilege:
/// what the run's service accounts asked of the API server against what deploy/statefulset/rbac.yaml grants.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ClusterDemoTests
{
    private const string Node = "system:serviceaccount:archiver:archiver";
    private const string Sidecar = "system:serviceaccount:demo:mg-rs";

    /// <summary>
    /// Grants of rbac.yaml's ClusterRole archiver that the demo's one path does not use, each with the flow that does
    /// (and the test that covers it). A grant neither used nor listed here fails the test: rbac.yaml gives nothing
    /// nobody can name a use for.
    /// </summary>
    private static readonly Dictionary<string, string> UsedElsewhere = new(StringComparer.Ordinal)
    {
        ["archiver.kubedb.com/mongodbarchivers create"] = "`archiver apply --node` (ResourceOperations)",
        ["archiver.kubedb.com/mongodbarchivers update"] = "`archiver apply --node` of a changed archiver; its finalizer (ArchiverEffects)",
        ["archiver.kubedb.com/mongodbarchivers delete"] = "`archiver delete --node` (ResourceOperations)",
        ["ops.kubedb.com/mongodbopsrequests update"] = "`archiver apply --node` (ResourceOperations)",
        ["ops.kubedb.com/mongodbopsrequests delete"] = "`archiver delete --node`; an archiver deleted with its ops requests",
        ["kubedb.com/mongodbs create"] = "`archiver apply --node` (ResourceOperations)",
        ["kubedb.com/mongodbs delete"] = "`archiver delete --node` (ResourceOperations)",
        ["core.kubestash.com/backupconfigurations update"] = "ConfigureArchiver of an edited archiver replaces the BackupConfiguration (OpsRequestSteps)",
        ["core.kubestash.com/backupconfigurations delete"] = "DisableArchiver's DeleteBackupConfiguration step",
        ["storage.kubestash.com/snapshots delete"] = "retention deletes the FullBackup Snapshots whose data it deleted",
        ["storage.kubestash.com/backupstorages create"] = "`archiver apply --node` (ResourceOperations)",
        ["storage.kubestash.com/backupstorages update"] = "`archiver apply --node` (ResourceOperations)",
        ["storage.kubestash.com/backupstorages delete"] = "`archiver delete --node` (ResourceOperations)",
        ["storage.kubestash.com/retentionpolicies create"] = "`archiver apply --node` (ResourceOperations)",
        ["storage.kubestash.com/retentionpolicies update"] = "`archiver apply --node` (ResourceOperations)",
        ["storage.kubestash.com/retentionpolicies delete"] = "`archiver delete --node` (ResourceOperations)",
        ["/namespaces list"] = "an archiver selecting namespaces by label (ArchiverEffects), the webhook (DatabaseAdmission)",
        ["/secrets update"] = "a storage secret changed: its copy for the sidecars is replaced (KubernetesWorkloads.Secrets)",
        ["/secrets delete"] = "a storage no longer named: its copies are deleted (StopArchiving, storage edits)",
        ["rbac.authorization.k8s.io/rolebindings delete"] = "StopArchiving deletes the sidecar's RoleBinding",
        ["apps.k8s.appscode.com/petsets get"] = "a kubedb.com/v1 database runs in a PetSet (PodInjectionTests' v1 case); the demo's is v1alpha2",
        ["apps.k8s.appscode.com/petsets update"] = "a kubedb.com/v1 database's PetSet takes the sidecar in its template (PodInjectionTests' v1 case)",
        ["batch/jobs get"] = "a CSISnapshotter full backup waits for its Job (ClusterFullBackupRunner; CsiSnapshotBackupTests); the demo's driver is Logical",
        ["batch/jobs list"] = "the finished backup Jobs beyond the history limits, after each CSISnapshotter backup (KubernetesWorkloads.PruneBackupJobsAsync; CsiSnapshotBackupTests)",
        ["batch/jobs delete"] = "those Jobs deleted with their pods (KubernetesWorkloads.PruneBackupJobsAsync; CsiSnapshotBackupTests)",
        ["batch/jobs create"] = "a CSISnapshotter full backup runs as a Job (KubernetesWorkloads.RunBackupJobAsync; CsiSnapshotBackupTests)",
        ["coordination.k8s.io/leases get"] = "a CSISnapshotter backup's fsync lock record, read before and after its Job (ClusterFullBackupRunner; CsiSnapshotBackupTests)",
        ["coordination.k8s.io/leases delete"] = "a lock a killed backup Job left is released and its record deleted (KubernetesFsyncLockLease; CsiSnapshotBackupTests)",
        ["snapshot.storage.k8s.io/volumesnapshotclasses get"] = "a CSISnapshotter backup's class checked before its Job is made (KubernetesWorkloads.RunBackupJobAsync; CsiSnapshotBackupTests)",
        ["snapshot.storage.k8s.io/volumesnapshots get"] = "a restore from a volume-snapshot base checks its snapshot before the claims are made from it (MongoRestoreRunner; the demo with --driver CSISnapshotter below)",
        ["snapshot.storage.k8s.io/volumesnapshots delete"] = "retention deletes the VolumeSnapshots of the CSISnapshotter backups it removes (DatabaseActor.RunRetention); the snapshot of a backup Job killed before it could delete it (ClusterFullBackupRunner; CsiSnapshotBackupTests)",
        ["snapshot.storage.k8s.io/volumesnapshots create"] = "a volume-snapshot base restored into another namespace is bound there (KubernetesVolumeSnapshotter.BindCopyAsync; CsiSnapshotBackupTests)",
        ["snapshot.storage.k8s.io/volumesnapshotcontents get"] = "the handle of a backup whose Job could not read it, and a copy taken up again (KubernetesVolumeSnapshotter; VolumeSnapshotterAdapterTests)",
        ["snapshot.storage.k8s.io/volumesnapshotcontents create"] = "the pre-provisioned content of a copy in another namespace (KubernetesVolumeSnapshotter.BindCopyAsync; CsiSnapshotBackupTests)",
        ["snapshot.storage.k8s.io/volumesnapshotcontents delete"] = "that copy's content let go once every member's claim is made (MongoRestoreRunner; CsiSnapshotBackupTests)",
        ["/persistentvolumeclaims get"] = "a restore from a volume-snapshot base waits for every member's claim (MongoRestoreRunner; the demo with --driver CSISnapshotter)",
        ["/events patch"] = "a repeat of an Event already recorded counts up on it (KubernetesEventRecorder; KubernetesEventRecorderTests)",
        ["/events list"] = "a restore from a volume-snapshot base that cannot reach its database reads a Pending claim's provisioner warnings (KubernetesVolumeSnapshotter.ClaimTroubleAsync; VolumeSnapshotterAdapterTests)",
    };

    [Fact]
    public async Task The_cluster_demo_with_volume_snapshots_restores_the_database_from_its_snapshot_and_verifies_it()
    {
        await DemoPrerequisites.EnsureAsync();
        var folder = Directory.CreateTempSubdirectory("archiver-cluster-demo-csi-").FullName;
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await ArchiverCli.RunAsync(["demo", "--cluster", "--driver", "CSISnapshotter", "--data", folder], output, error);

            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(code == 0, $"archiver demo --cluster --driver CSISnapshotter exited {code}:\n{output}\n{error}");
            var verified = lines.Last(l => l.StartsWith("verified:", StringComparison.Ordinal));
            Assert.StartsWith("verified: demo/mg-rs-restored equals demo/mg-rs as it was at ", verified, StringComparison.Ordinal);
            Assert.Contains("from a volume-snapshot base", verified, StringComparison.Ordinal);
            // The restore checked its snapshot as the node's own service account.
            var used = await File.ReadAllLinesAsync(Path.Combine(folder, ClusterDemo.AccessesFile));
            Assert.Contains(used, l => l.StartsWith("system:serviceaccount:archiver:archiver\tget\tsnapshot.storage.k8s.io\tvolumesnapshots\tdemo\t", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_cluster_demo_verifies_a_restore_in_cluster_mode_and_uses_only_what_rbac_yaml_grants_and_all_of_it()
    {
        await DemoPrerequisites.EnsureAsync();
        var folder = Directory.CreateTempSubdirectory("archiver-cluster-demo-").FullName;
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await ArchiverCli.RunAsync(["demo", "--cluster", "--data", folder], output, error);

            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(code == 0, $"archiver demo --cluster exited {code}:\n{output}\n{error}");
            Assert.StartsWith("verified: demo/mg-rs-restored equals demo/mg-rs as it was at ", lines.Last(l => l.StartsWith("verified:", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains(lines, l => l.Contains("killed archiver-", StringComparison.Ordinal) && l.Contains("hosting demo/mg-rs's entity", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("the oplog is archived by mg-rs-", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("finished in", StringComparison.Ordinal)); // the full backup

            var used = (await File.ReadAllLinesAsync(Path.Combine(folder, ClusterDemo.AccessesFile)))
                .Where(l => !l.StartsWith('#'))
                .Select(l => l.Split('\t'))
                .Select(f => (User: f[0], Verb: f[1], Group: f[2], Resource: f[3], Namespace: f[4], Name: f[5]))
                .ToList();
            var rbac = KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(ClusterSession.RepositoryRoot(), "deploy/statefulset/rbac.yaml")));
            var nodeRole = rbac.OfType<V1ClusterRole>().Single(r => r.Metadata.Name == "archiver");
            var sidecarRole = rbac.OfType<V1ClusterRole>().Single(r => r.Metadata.Name == "archiver-sidecar");

            // Nothing used is missing from the roles (the run would have been refused), and the sidecar used its own pod and
            // its own database only (a watch by name is a request for that name, as the API server authorizes it).
            Assert.All(used.Where(u => u.User == Node), u => Assert.True(Grants(nodeRole, u.Group, u.Resource, u.Verb, u.Name), $"rbac.yaml misses {u}"));
            Assert.All(used.Where(u => u.User == Sidecar), u =>
            {
                Assert.True(Grants(sidecarRole, u.Group, u.Resource, u.Verb, u.Name), $"archiver-sidecar misses {u}");
                Assert.Equal("demo", u.Namespace);
                if (u.Resource == "pods") Assert.StartsWith("mg-rs-", u.Name, StringComparison.Ordinal);
                else Assert.Equal(("mongodbs", "mg-rs"), (u.Resource, u.Name));
            });
            Assert.Contains(used, u => u.User == Sidecar && u.Verb == "patch" && u.Resource == "pods");
            Assert.Contains(used, u => u.User == Sidecar && u.Verb == "watch" && u.Resource == "mongodbs");
            // Everything granted is used, here or by a flow named above.
            var usedByNode = used.Where(u => u.User == Node).Select(u => $"{u.Group}/{u.Resource} {u.Verb}").ToHashSet(StringComparer.Ordinal);
            var unused = Granted(nodeRole).Where(g => !usedByNode.Contains(g) && !UsedElsewhere.ContainsKey(g)).ToList();
            Assert.True(unused.Count == 0, $"rbac.yaml grants what no flow uses: {string.Join(", ", unused)}");
            var sidecarUnused = Granted(sidecarRole).Where(g => !used.Any(u => u.User == Sidecar && $"{u.Group}/{u.Resource} {u.Verb}" == g)).ToList();
            Assert.True(sidecarUnused.Count == 0, $"archiver-sidecar grants what the sidecar never used: {string.Join(", ", sidecarUnused)}");
            // Secrets: read by name, never listed or watched, anywhere.
            Assert.DoesNotContain(used, u => u.Resource == "secrets" && u.Verb is "list" or "watch");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static IEnumerable<string> Granted(V1ClusterRole role) =>
        role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res} {v}")))).Distinct(StringComparer.Ordinal);

    private static bool Grants(V1ClusterRole role, string group, string resource, string verb, string name) =>
        role.Rules.Any(r => r.ApiGroups.Contains(group) && r.Resources.Contains(resource) && r.Verbs.Contains(verb)
            && (r.ResourceNames is null || r.ResourceNames.Count == 0 || r.ResourceNames.Contains(name)));
}
