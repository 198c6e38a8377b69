using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes.Tests;

/// <summary>How the sidecar runs: the archiver's walBackup.runtimeSettings over the restricted defaults.</summary>
public sealed partial class KubernetesWorkloadsTests
{
    [Fact]
    public async Task Without_runtime_settings_the_sidecar_runs_under_the_restricted_profile_with_memory_for_its_chunks()
    {
        var (workloads, db, spec) = await DatabaseAsync();

        await workloads.EnsureArchivingAsync(db, spec);

        var sidecar = Sidecar(await StatefulSetAsync(db));
        var security = sidecar.SecurityContext;
        Assert.True(security.RunAsNonRoot);
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.Equal("RuntimeDefault", security.SeccompProfile.Type);
        Assert.True(security.ReadOnlyRootFilesystem);
        Assert.Equal("/tmp", Assert.Single(sidecar.VolumeMounts, m => m.Name == "archiver-tmp").MountPath);
        Assert.Equal(0.1m, sidecar.Resources.Requests["cpu"].ToDecimal());
        // 256 MiB and 16 times the 16 MiB chunk; limited as much (the runtime sizes its heap by the limit), CPU not limited.
        Assert.Equal(512m * 1024 * 1024, sidecar.Resources.Requests["memory"].ToDecimal());
        Assert.Equal(["memory"], sidecar.Resources.Limits.Keys);
        Assert.Equal(512m * 1024 * 1024, sidecar.Resources.Limits["memory"].ToDecimal());

        await workloads.EnsureArchivingAsync(db, spec with { ChunkMaxSize = 64L * 1024 * 1024, SpecHash = "h2" });
        Assert.Equal(1280m * 1024 * 1024, Sidecar(await StatefulSetAsync(db)).Resources.Limits["memory"].ToDecimal());
    }

    [Fact]
    public async Task The_archivers_runtime_settings_shape_the_sidecar_and_the_same_settings_as_the_API_server_spells_them_roll_nothing()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        var archiver = (MongoDBArchiver)ManifestReader.Read($$$"""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: tuned, namespace: {{{db.Namespace}}}}
            spec:
              backupStorage: {ref: {name: s3}}
              walBackup:
                runtimeSettings:
                  pod: {nodeSelector: {disk: ssd}, securityContext: {fsGroup: 2000}}
                  container:
                    resources:
                      requests: {cpu: "0.25", memory: 256Mi}
                      limits: {memory: 1Gi}
                    securityContext: {runAsUser: 1234}
                    env:
                      - {name: HTTPS_PROXY, value: "http://proxy:3128"}
                      - {name: MONGODB_PASSWORD, value: "never this"}
            """).Resources[0];
        await _store.CreateAsync(archiver);
        spec = spec with { SpecHash = SpecHash.Compute(archiver.Spec!) };

        await workloads.EnsureArchivingAsync(db, spec);

        var set = await StatefulSetAsync(db);
        var sidecar = Sidecar(set);
        Assert.Equal(0.25m, sidecar.Resources.Requests["cpu"].ToDecimal());
        Assert.Equal(1024m * 1024 * 1024, sidecar.Resources.Limits["memory"].ToDecimal());
        // Laid over the restricted profile: the user named runAsUser only.
        Assert.Equal(1234, sidecar.SecurityContext.RunAsUser);
        Assert.True(sidecar.SecurityContext.RunAsNonRoot);
        Assert.True(sidecar.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal("http://proxy:3128", Assert.Single(sidecar.Env, e => e.Name == "HTTPS_PROXY").Value);
        Assert.NotNull(Assert.Single(sidecar.Env, e => e.Name == "MONGODB_PASSWORD").ValueFrom);
        // The pod part is KubeDB's pod: not applied.
        Assert.Null(set.Spec.Template.Spec.NodeSelector);
        Assert.Null(set.Spec.Template.Spec.SecurityContext);

        // An API server gives quantities back in its own spelling (0.25 as 250m): still the same settings.
        sidecar.Resources.Requests["cpu"] = new ResourceQuantity("250m");
        sidecar.Resources.Limits["memory"] = new ResourceQuantity("1024Mi");
        var respelled = await server.Client.AppsV1.ReplaceNamespacedStatefulSetAsync(set, db.Name, db.Namespace);
        await workloads.EnsureArchivingAsync(db, spec);
        Assert.Equal(respelled.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);

        // Changed settings (a new spec hash) change the sidecar.
        var edited = (await _store.GetAsync<MongoDBArchiver>(Messages.Protocol.ResourceId.Of(archiver)))!;
        edited = edited with
        {
            Spec = edited.Spec! with
            {
                WalBackup = edited.Spec.WalBackup! with
                {
                    RuntimeSettings = System.Text.Json.JsonSerializer.SerializeToElement(new { container = new { resources = new { requests = new { cpu = "1" } } } }),
                },
            },
        };
        await _store.ReplaceAsync(edited);
        await workloads.EnsureArchivingAsync(db, spec with { SpecHash = SpecHash.Compute(edited.Spec!) });
        Assert.Equal(1m, Sidecar(await StatefulSetAsync(db)).Resources.Requests["cpu"].ToDecimal());
        Assert.Null(Sidecar(await StatefulSetAsync(db)).Resources.Limits);
    }
}
