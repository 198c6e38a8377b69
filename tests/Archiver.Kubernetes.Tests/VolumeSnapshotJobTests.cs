using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The backup Job of the CSISnapshotter driver: built from the archiver's jobTemplate and runtimeSettings as
/// KubeStash builds its Jobs, with credentials only from secrets.
/// </summary>
public sealed class VolumeSnapshotJobTests
{
    private static readonly KubernetesWorkloadsOptions Options = new() { SidecarImage = "archiver:test" };

    private static readonly VolumeSnapshotJob.Inputs Inputs = new("20261207050000-3", 2, "db/MongoDB/shop/mg", "mongodb://mg.shop.svc:27017/?replicaSet=rs0&authSource=admin", "mg", TimeSpan.FromMinutes(30));

    private readonly BackupStorage _storage = (BackupStorage)ManifestReader.Read("""
        apiVersion: storage.kubestash.com/v1alpha1
        kind: BackupStorage
        metadata: {name: shared, namespace: stash}
        spec:
          storage:
            provider: s3
            s3: {endpoint: "http://s3:9000", bucket: backups, prefix: team-a, region: eu-west-3, secretName: s3-keys}
        """).Resources[0];

    private readonly Database _database;

    public VolumeSnapshotJobTests()
    {
        _database = Resources.Database("shop", "mg");
        _database.Metadata.Uid = "uid-1";
    }

    [Fact]
    public void With_no_template_the_job_runs_once_as_the_database_pods_service_account_restricted_and_small()
    {
        var job = VolumeSnapshotJob.Build(Options, _database, Archiver(""), _storage, [], Inputs);

        Assert.Equal(("mg-full-20261207050000-3-2", "shop"), (job.Metadata.Name, job.Metadata.NamespaceProperty));
        Assert.Equal((1, 1, 0), (job.Spec.Parallelism, job.Spec.Completions, job.Spec.BackoffLimit));
        Assert.Equal(1800, job.Spec.ActiveDeadlineSeconds);
        var owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("MongoDB", "mg", "uid-1"), (owner.Kind, owner.Name, owner.Uid));
        var pod = job.Spec.Template.Spec;
        Assert.Equal(("Never", "mg"), (pod.RestartPolicy, pod.ServiceAccountName));
        var container = Assert.Single(pod.Containers);
        Assert.Equal("archiver:test", container.Image);
        Assert.Equal(
            ["volume-snapshot-backup", "--database", "mg", "--database-uid", "uid-1", "--prefix", "db/MongoDB/shop/mg", "--volume-snapshot-class", "csi-vsc", "--run-id", "20261207050000-3", "--attempt", "2"],
            container.Args);
        // Credentials from KubeDB's auth secret, never in an argument or a value.
        Assert.Equal("mg-auth", container.Env.Single(e => e.Name == "MONGODB_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.DoesNotContain(container.Env, e => e.Value?.Contains("password", StringComparison.OrdinalIgnoreCase) == true);
        Assert.True(container.SecurityContext.RunAsNonRoot);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal("256Mi", container.Resources.Limits["memory"].ToString());
        Assert.Equal("mg", job.Spec.Template.Metadata.Labels[VolumeSnapshotJob.DatabaseLabel]);
    }

    [Fact]
    public void The_job_template_and_both_parts_of_the_runtime_settings_are_honoured()
    {
        var archiver = Archiver("""
              jobTemplate:
                backoffLimit: 2
                podTemplate: {serviceAccountName: backup-sa}
            runtimeSettings:
              container:
                resources: {requests: {cpu: 200m, memory: 64Mi}, limits: {memory: 128Mi}}
                securityContext: {runAsUser: 1000}
                env: [{name: GOMAXPROCS, value: "1"}, {name: MONGODB_PASSWORD, value: sneaky}]
              pod:
                serviceAccountName: ignored-sa
                nodeSelector: {disk: ssd}
                tolerations: [{key: backups, operator: Exists, effect: NoSchedule}]
                priorityClassName: low
                imagePullSecrets: [{name: registry}]
                securityContext: {fsGroup: 999}
                podLabels: {team: db, app.kubernetes.io/managed-by: someone-else}
                podAnnotations: {note: nightly}
            """);

        var job = VolumeSnapshotJob.Build(Options, _database, archiver, _storage, [], Inputs);

        Assert.Equal(2, job.Spec.BackoffLimit);
        var pod = job.Spec.Template.Spec;
        // The template's service account is the more specific one.
        Assert.Equal("backup-sa", pod.ServiceAccountName);
        Assert.Equal("ssd", pod.NodeSelector["disk"]);
        Assert.Equal("backups", Assert.Single(pod.Tolerations).Key);
        Assert.Equal(("low", "registry", 999L), (pod.PriorityClassName, Assert.Single(pod.ImagePullSecrets).Name, pod.SecurityContext.FsGroup));
        var labels = job.Spec.Template.Metadata.Labels;
        Assert.Equal(("db", VolumeSnapshotJob.ManagedBy), (labels["team"], labels[VolumeSnapshotJob.ManagedByLabel]));
        Assert.Equal("nightly", job.Spec.Template.Metadata.Annotations["note"]);
        var container = Assert.Single(pod.Containers);
        Assert.Equal(("200m", "128Mi"), (container.Resources.Requests["cpu"].ToString(), container.Resources.Limits["memory"].ToString()));
        // Laid over the restricted profile: the user changes, the rest stays.
        Assert.Equal((1000L, true, false), (container.SecurityContext.RunAsUser, container.SecurityContext.RunAsNonRoot ?? false, container.SecurityContext.AllowPrivilegeEscalation ?? true));
        Assert.Equal("1", container.Env.Single(e => e.Name == "GOMAXPROCS").Value);
        // An extra variable never replaces one of the Job's own.
        Assert.Equal("mg-auth", Assert.Single(container.Env, e => e.Name == "MONGODB_PASSWORD").ValueFrom.SecretKeyRef.Name);
    }

    [Fact]
    public void A_runtime_settings_pod_part_of_the_wrong_shape_is_named()
    {
        var archiver = Archiver("""
            runtimeSettings:
              pod: {nodeSelector: [ssd]}
            """);

        var failure = Assert.Throws<FormatException>(() => VolumeSnapshotJob.Build(Options, _database, archiver, _storage, [], Inputs));

        Assert.StartsWith("spec.fullBackup.runtimeSettings.pod:", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_too_long_for_a_label_is_cut_with_a_hash_and_stays_the_same_for_the_same_attempt()
    {
        var database = new string('d', 60);

        var first = VolumeSnapshotJob.Name(database, "20261207050000-3", 1);
        var again = VolumeSnapshotJob.Name(database, "20261207050000-3", 1);
        var second = VolumeSnapshotJob.Name(database, "20261207050000-3", 2);

        Assert.True(first.Length <= 63, first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, second);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", first);
    }

    /// <summary>An archiver with CSISnapshotter full backups; <paramref name="extra"/> is YAML under spec.fullBackup (scheduler first).</summary>
    private static MongoDBArchiver Archiver(string extra)
    {
        var lines = extra.Split('\n');
        var indented = string.Join('\n', lines.Select(l => l.Length == 0 ? l : "    " + l));
        return (MongoDBArchiver)ManifestReader.Read($"""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {"{"}name: nightly, namespace: kubedb{"}"}
            spec:
              databases: {"{"}namespaces: {"{"}from: All{"}"}{"}"}
              fullBackup:
                driver: CSISnapshotter
                csiSnapshotter: {"{"}volumeSnapshotClassName: csi-vsc{"}"}
                scheduler:
                  schedule: "@daily"
            {indented}
              backupStorage: {"{"}ref: {"{"}name: shared, namespace: stash{"}"}{"}"}
              deletionPolicy: Delete
            """).Resources[0];
    }
}
