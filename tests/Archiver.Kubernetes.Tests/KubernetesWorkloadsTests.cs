using System.Text.Json;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>The sidecar and restarts in KubeDB's StatefulSet, against the emulator or a real API server.</summary>
public sealed partial class KubernetesWorkloadsTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private readonly KubernetesResourceStore _store = new(server.Client);

    [Fact]
    public async Task Ensuring_archiving_adds_the_sidecar_once()
    {
        var (workloads, db, spec) = await DatabaseAsync();

        await workloads.EnsureArchivingAsync(db, spec);
        var first = await StatefulSetAsync(db);
        await workloads.EnsureArchivingAsync(db, spec);
        var second = await StatefulSetAsync(db);

        var sidecar = Assert.Single(second.Spec.Template.Spec.Containers, c => c.Name == "archiver");
        Assert.Equal(2, second.Spec.Template.Spec.Containers.Count);
        Assert.Equal("archiver:test", sidecar.Image);
        Assert.Equal(["sidecar", "--prefix", spec.Prefix], sidecar.Args.Take(3));
        Assert.Contains("--database-uid", sidecar.Args);
        // The storage as the node reads it, in one variable; its S3 keys are mounted copies, never variables.
        Assert.Contains("\"bucket\":\"backups\"", Assert.Single(sidecar.Env, e => e.Name == "ARCHIVER_BACKUP_STORAGE").Value, StringComparison.Ordinal);
        Assert.DoesNotContain(sidecar.Env, e => e.Name.StartsWith("AWS_", StringComparison.Ordinal));
        // KubeDB's auth secret, as variables: never spliced into the connection string.
        Assert.Equal("mg-auth", Assert.Single(sidecar.Env, e => e.Name == "MONGODB_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.DoesNotContain("@", Assert.Single(sidecar.Env, e => e.Name == "ARCHIVER_MONGODB_URI").Value, StringComparison.Ordinal);
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion); // the second call wrote nothing
    }

    [Fact]
    public async Task A_TLS_database_mounts_its_client_certificate_into_the_sidecar_and_a_plain_one_does_not()
    {
        var (workloads, db, spec) = await DatabaseAsync(d => d with
        {
            Spec = d.Spec! with
            {
                Other = new Dictionary<string, JsonElement>(d.Spec!.Other!)
                {
                    ["sslMode"] = JsonSerializer.SerializeToElement("requireSSL"),
                    ["tls"] = JsonSerializer.SerializeToElement(new { issuerRef = new { name = "mongo-ca-issuer", kind = "Issuer" } }),
                },
            },
        });
        var (plainWorkloads, plain, plainSpec) = await DatabaseAsync();

        await workloads.EnsureArchivingAsync(db, spec);
        await plainWorkloads.EnsureArchivingAsync(plain, plainSpec);

        var set = await StatefulSetAsync(db);
        var sidecar = Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "archiver");
        // Mounted, not variables: a renewal reaches the running sidecar.
        var volume = Assert.Single(set.Spec.Template.Spec.Volumes, v => v.Secret?.SecretName == "mg-client-cert");
        var mount = Assert.Single(sidecar.VolumeMounts, m => m.Name == volume.Name);
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal(mount.MountPath, sidecar.Args[sidecar.Args.IndexOf("--tls-dir") + 1]);
        Assert.Null(Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "mongodb").VolumeMounts);
        var plainSet = await StatefulSetAsync(plain);
        Assert.DoesNotContain("--tls-dir", Assert.Single(plainSet.Spec.Template.Spec.Containers, c => c.Name == "archiver").Args);
        Assert.DoesNotContain(plainSet.Spec.Template.Spec.Volumes ?? [], v => v.Secret?.SecretName == "mg-client-cert");

        // Again: nothing changes (the volume compares equal); stopped: the volume goes with the sidecar.
        var version = set.Metadata.ResourceVersion;
        await workloads.EnsureArchivingAsync(db, spec);
        Assert.Equal(version, (await StatefulSetAsync(db)).Metadata.ResourceVersion);
        await workloads.StopArchivingAsync(db);
        Assert.Empty((await StatefulSetAsync(db)).Spec.Template.Spec.Volumes ?? []);
    }

    [Fact]
    public async Task A_changed_spec_updates_the_sidecar_in_place()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await workloads.EnsureArchivingAsync(db, spec);

        await workloads.EnsureArchivingAsync(db, spec with { ChunkMaxSize = 1024, SpecHash = "h2" });

        var sidecar = Assert.Single((await StatefulSetAsync(db)).Spec.Template.Spec.Containers, c => c.Name == "archiver");
        Assert.Equal("1024", sidecar.Args[sidecar.Args.IndexOf("--chunk-max-size") + 1]);
    }

    [Fact]
    public async Task Stopping_archiving_removes_the_sidecar()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await workloads.EnsureArchivingAsync(db, spec);

        await workloads.StopArchivingAsync(db);
        await workloads.StopArchivingAsync(db);

        var set = await StatefulSetAsync(db);
        Assert.Equal(["mongodb"], set.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Null(await workloads.ReportAsync(db));
    }

    [Fact]
    public async Task A_local_folder_storage_is_mounted_into_the_sidecar_alone_and_taken_out_with_it()
    {
        // A node that has the storage's volume mounted at /backups too (see A_local_storage_the_node_has_not_mounted_is_refused_before_anything_is_written).
        var (workloads, db, s3Spec) = await DatabaseAsync(options: Mounted);
        await _store.CreateAsync((BackupStorage)Messages.Manifests.ManifestReader.Read($"""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata:
              name: nfs-folder
              namespace: {db.Namespace}
            spec:
              storage:
                provider: local
                local:
                  mountPath: /backups
                  subPath: team-a
                  persistentVolumeClaim:
                    claimName: backups-pvc
            """).Resources[0]);
        var spec = s3Spec with { Storage = new ResourceId(db.Namespace, "nfs-folder") };

        await workloads.EnsureArchivingAsync(db, spec);
        var set = await StatefulSetAsync(db);
        await workloads.EnsureArchivingAsync(db, spec);
        Assert.Equal(set.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion); // nothing to change

        var volume = Assert.Single(set.Spec.Template.Spec.Volumes, v => v.PersistentVolumeClaim is not null);
        Assert.Equal("backups-pvc", volume.PersistentVolumeClaim.ClaimName);
        var sidecar = Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "archiver");
        var mount = Assert.Single(sidecar.VolumeMounts, m => m.Name == volume.Name);
        Assert.Equal("/backups", mount.MountPath);
        var storage = Assert.Single(sidecar.Env, e => e.Name == "ARCHIVER_BACKUP_STORAGE").Value;
        Assert.Contains("\"mountPath\":\"/backups\"", storage, StringComparison.Ordinal);
        Assert.Contains("\"subPath\":\"team-a\"", storage, StringComparison.Ordinal);
        Assert.Null(Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "mongodb").VolumeMounts);

        // Moved to S3: the volume goes; stopped: nothing of the sidecar is left.
        await workloads.EnsureArchivingAsync(db, s3Spec);
        Assert.DoesNotContain((await StatefulSetAsync(db)).Spec.Template.Spec.Volumes ?? [], v => v.PersistentVolumeClaim is not null);
        await workloads.EnsureArchivingAsync(db, spec);
        await workloads.StopArchivingAsync(db);
        set = await StatefulSetAsync(db);
        Assert.Empty(set.Spec.Template.Spec.Volumes ?? []);
        Assert.Equal(["mongodb"], set.Spec.Template.Spec.Containers.Select(c => c.Name));
    }

    [Fact]
    public async Task A_restart_rolls_the_pods_once_per_token()
    {
        var (workloads, db, _) = await DatabaseAsync();

        await workloads.RestartAsync(db, "op-1");
        var first = await StatefulSetAsync(db);
        await workloads.RestartAsync(db, "op-1");
        var again = await StatefulSetAsync(db);
        await workloads.RestartAsync(db, "op-2");
        var second = await StatefulSetAsync(db);

        Assert.True(first.Spec.Template.Metadata.Annotations.ContainsKey(KubernetesWorkloads.RestartedAtAnnotation));
        Assert.Equal(first.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
        Assert.Equal("op-2", second.Spec.Template.Metadata.Annotations[KubernetesWorkloads.RestartTokenAnnotation]);
        Assert.NotEqual(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_rollout_is_done_once_the_controller_saw_the_spec_and_every_pod_is_ready_at_the_update_revision()
    {
        var (workloads, db, _) = await DatabaseAsync();
        await workloads.RestartAsync(db, "op-1");
        var set = await StatefulSetAsync(db);
        async Task<RolloutProgress> WithStatusAsync(long observed, int ready, string current, string update)
        {
            // As the StatefulSet controller reports it, through the status subresource.
            var latest = await StatefulSetAsync(db);
            latest.Status = new V1StatefulSetStatus { ObservedGeneration = observed, Replicas = 1, ReadyReplicas = ready, UpdatedReplicas = ready, CurrentRevision = current, UpdateRevision = update };
            await server.Client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(latest, db.Name, db.Namespace);
            return await workloads.RolloutAsync(db);
        }

        // The test's StatefulSet asks for one replica (the default).
        var unseen = await WithStatusAsync((set.Metadata.Generation ?? 1) - 1, 1, "r1", "r1");
        var notReady = await WithStatusAsync(set.Metadata.Generation ?? 1, 0, "r1", "r2");
        var notUpdated = await WithStatusAsync(set.Metadata.Generation ?? 1, 1, "r1", "r2");
        var done = await WithStatusAsync(set.Metadata.Generation ?? 1, 1, "r2", "r2");
        var missing = await workloads.RolloutAsync(new ResourceId(db.Namespace, "no-such-database"));

        Assert.False(unseen.Done);
        Assert.Contains("waiting for the controller", unseen.Message, StringComparison.Ordinal);
        Assert.False(notReady.Done);
        Assert.Contains("0 of 1 pods ready", notReady.Message, StringComparison.Ordinal);
        Assert.False(notUpdated.Done);
        Assert.Contains("updated to r2", notUpdated.Message, StringComparison.Ordinal);
        Assert.True(done.Done);
        Assert.True(missing.Done);
    }

    [Fact]
    public async Task The_report_is_the_newest_a_sidecar_published_on_its_pod()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await workloads.EnsureArchivingAsync(db, spec);
        var older = new ArchivingReport("rs0", null, null, TimeSpan.FromSeconds(3), null, null, DateTimeOffset.UtcNow.AddMinutes(-1));
        var newer = older with { Lag = TimeSpan.FromSeconds(1), ReportedAt = DateTimeOffset.UtcNow };
        await PodAsync(db, "mg-0", older);
        await PodAsync(db, "mg-1", newer);

        var report = await workloads.ReportAsync(db);

        Assert.Equal(TimeSpan.FromSeconds(1), report?.Lag);
    }

    [Fact]
    public async Task Reports_count_from_pods_running_the_sidecar_whether_or_not_the_template_has_it()
    {
        var (workloads, db, _) = await DatabaseAsync();
        // A pod that was injected at admission (the template never had the sidecar, or KubeDB rewrote it without), and
        // one rolled without it, keeping a newer report nobody updates any more.
        await PodAsync(db, "mg-0", new ArchivingReport("rs0", null, null, TimeSpan.FromSeconds(4), null, null, DateTimeOffset.UtcNow.AddSeconds(-5)));
        await PodAsync(db, "mg-1", new ArchivingReport("rs0", null, null, TimeSpan.FromSeconds(1), null, null, DateTimeOffset.UtcNow), sidecar: false);

        var report = await workloads.ReportAsync(db);

        Assert.Equal(["mongodb"], (await StatefulSetAsync(db)).Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Equal(TimeSpan.FromSeconds(4), report?.Lag);
    }

    [Fact]
    public async Task The_archiving_members_report_wins_over_newer_standby_reports_which_count_only_alone()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await workloads.EnsureArchivingAsync(db, spec);
        var primary = new ArchivingReport("rs0", null, null, TimeSpan.FromSeconds(2), null, null, DateTimeOffset.UtcNow.AddSeconds(-5));
        var standby = new ArchivingReport("rs0", null, null, TimeSpan.Zero, null, null, DateTimeOffset.UtcNow) { Standby = true };
        await PodAsync(db, "mg-1", standby);
        await PodAsync(db, "mg-2", standby);

        Assert.True((await workloads.ReportAsync(db))?.Standby);

        await PodAsync(db, "mg-0", primary);
        var report = await workloads.ReportAsync(db);

        Assert.False(report?.Standby);
        Assert.Equal(TimeSpan.FromSeconds(2), report?.Lag);
    }

    [Fact]
    public async Task What_a_sidecar_publishes_on_its_pod_is_the_report()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await workloads.EnsureArchivingAsync(db, spec);
        await PodAsync(db, "mg-0", new ArchivingReport("rs0", null, null, TimeSpan.FromSeconds(9), null, null, DateTimeOffset.UtcNow.AddMinutes(-5)));
        var publisher = new PodReportPublisher(server.Client, db.Namespace, "mg-0");

        await publisher.PublishAsync(new ArchivingReport("rs0", null, null, TimeSpan.FromSeconds(2), TimeSpan.FromHours(1), "a gap", DateTimeOffset.UtcNow));
        var report = await workloads.ReportAsync(db);

        Assert.Equal(TimeSpan.FromSeconds(2), report?.Lag);
        Assert.Equal(TimeSpan.FromHours(1), report?.Headroom);
        Assert.Equal("a gap", report?.Problem);
    }

    /// <summary>A node that has every local storage's folder mounted (the file system check stood in for).</summary>
    private static readonly KubernetesWorkloadsOptions Mounted = new() { SidecarImage = "archiver:test", LocalFolderProblem = _ => null };

    private async Task<(KubernetesWorkloads Workloads, ResourceId Database, ArchivingSpec Spec)> DatabaseAsync(Func<Database, Database>? shape = null, KubernetesWorkloadsOptions? options = null)
    {
        var ns = await server.NewNamespaceAsync();
        await _store.CreateAsync((shape ?? (d => d))(Resources.Database(ns, "mg")));
        // The storage's S3 keys (its namespace here), which the sidecar gets as a mounted copy.
        await server.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s3-keys" },
            Data = new Dictionary<string, byte[]> { ["AWS_ACCESS_KEY_ID"] = "AKID"u8.ToArray(), ["AWS_SECRET_ACCESS_KEY"] = "not-a-real-secret"u8.ToArray() },
        }, ns);
        await _store.CreateAsync(new BackupStorage
        {
            Metadata = new V1ObjectMeta { Name = "s3", NamespaceProperty = ns },
            Spec = new BackupStorageSpec { Storage = new StorageBackend { Provider = StorageProvider.S3, S3 = new S3BackendSpec { Endpoint = "http://s3:9000", Bucket = "backups", SecretName = "s3-keys" } } },
        });
        await server.Client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "mg", NamespaceProperty = ns },
            Spec = new V1StatefulSetSpec
            {
                ServiceName = "mg-pods",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "mongodb", Image = "mongo:7.0" }] },
                },
            },
        }, ns);
        var workloads = new KubernetesWorkloads(server.Client, _store, options ?? new KubernetesWorkloadsOptions { SidecarImage = "archiver:test" });
        var spec = new ArchivingSpec(new ResourceId(ns, "s3"), "db/MongoDB/demo/mg", "h1", TimeSpan.FromSeconds(1), 16 * 1024 * 1024);
        return (workloads, new ResourceId(ns, "mg"), spec);
    }

    private Task<V1StatefulSet> StatefulSetAsync(ResourceId db) => server.Client.AppsV1.ReadNamespacedStatefulSetAsync(db.Name, db.Namespace);

    // What the sidecar does (the emulator runs no pods, so the test plays the StatefulSet controller too).
    private Task<V1Pod> PodAsync(ResourceId db, string name, ArchivingReport report, bool sidecar = true) => server.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg" },
            Annotations = new Dictionary<string, string> { ["archiver.kubedb.com/report"] = JsonSerializer.Serialize(report, ReportJson.Options) },
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "mongodb", Image = "mongo:7.0" }, .. sidecar ? [new V1Container { Name = "archiver", Image = "archiver:test" }] : Array.Empty<V1Container>()] },
    }, db.Namespace);
}
