using System.Text;
using Archiver.Actors.Ports;
using Archiver.Emulators.Kubernetes;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Kubernetes;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Archiver.Host.Tests;

/// <summary>
/// End to end in cluster mode: a node started with a kubeconfig drives the resources of the API server (the
/// emulator) instead of its own store, and archiving lands in the database's StatefulSet.
/// </summary>
public sealed class ClusterNodeTests
{
    [Fact]
    public async Task A_node_with_a_kubeconfig_injects_the_sidecar_and_restarts_the_database()
    {
        await using var apiServer = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo"], CustomResourceDefinitions = GeneratedCrds() });
        var folder = Directory.CreateTempSubdirectory("archiver-cluster-node-").FullName;
        try
        {
            var kubeconfig = await KubeconfigAsync(apiServer, folder);
            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            // In a cluster the local storage is a volume the node has mounted too (here: a folder that is there).
            await ApplyExamplesAsync(new KubernetesResourceStore(client), MountedAt(Directory.CreateDirectory(Path.Combine(folder, "backups")).FullName));
            await client.AppsV1.CreateNamespacedStatefulSetAsync(KubeDbStatefulSet(), "demo");

            await using var node = await StartNodeAsync(folder, kubeconfig);

            Assert.IsType<KubernetesResourceStore>(node.Store);
            var set = await WaitForAsync(async () =>
            {
                var s = await client.AppsV1.ReadNamespacedStatefulSetAsync("mg-rs", "demo");
                return s.Spec.Template.Metadata?.Annotations?.ContainsKey(KubernetesWorkloads.RestartedAtAnnotation) == true ? s : null;
            });
            var requests = await node.Store.ListAsync<MongoDBOpsRequest>("demo");

            Assert.NotEmpty(requests);
            var sidecar = Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "archiver");
            Assert.Equal("archiver:e2e", sidecar.Image);
            Assert.StartsWith("opsrequest:", set.Spec.Template.Metadata.Annotations[KubernetesWorkloads.RestartTokenAnnotation], StringComparison.Ordinal);

            // Secrets come from the API server, not the node's folder: an encrypted storage opens with the key there.
            await client.CoreV1.CreateNamespacedSecretAsync(
                new V1Secret
                {
                    Metadata = new V1ObjectMeta { Name = "storage-key", NamespaceProperty = "demo" },
                    Data = new Dictionary<string, byte[]> { [ObjectStoreProvider.EncryptionKey] = Encoding.ASCII.GetBytes(Convert.ToBase64String(new byte[32])) },
                },
                "demo");
            await node.Store.CreateAsync(new BackupStorage
            {
                ApiVersion = BackupStorage.ApiVersionName,
                Kind = BackupStorage.KindName,
                Metadata = new V1ObjectMeta { Name = "encrypted", NamespaceProperty = "demo" },
                Spec = new BackupStorageSpec
                {
                    Storage = MountedAt(Directory.CreateDirectory(Path.Combine(folder, "encrypted")).FullName)(new StorageBackend()),
                    EncryptionSecret = new ObjectRef { Name = "storage-key" },
                },
            });
            Assert.False(Directory.Exists(node.Settings.SecretsFolder));
            var store = await node.Services.GetRequiredService<IObjectStoreProvider>().OpenAsync(new ResourceId("demo", "encrypted"));
            await store.PutBytesAsync("probe", "sealed"u8.ToArray());
            Assert.DoesNotContain("sealed", await File.ReadAllTextAsync(Path.Combine(folder, "encrypted", "probe")));
            Assert.Equal("sealed"u8.ToArray(), await store.GetBytesAsync("probe"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_node_refuses_a_local_storage_it_has_not_mounted_and_leaves_the_database_as_it_was()
    {
        await using var apiServer = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo"], CustomResourceDefinitions = GeneratedCrds() });
        var folder = Directory.CreateTempSubdirectory("archiver-cluster-node-").FullName;
        try
        {
            var kubeconfig = await KubeconfigAsync(apiServer, folder);
            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            // The database pods would mount it; the node has no such folder.
            var notMounted = Path.Combine(folder, "not-mounted");
            await ApplyExamplesAsync(new KubernetesResourceStore(client), MountedAt(notMounted));
            await client.AppsV1.CreateNamespacedStatefulSetAsync(KubeDbStatefulSet(), "demo");

            await using var node = await StartNodeAsync(folder, kubeconfig);

            var failed = await WaitForAsync(async () => (await node.Store.ListAsync<MongoDBOpsRequest>("demo")).FirstOrDefault(r => r.Status?.Phase == OpsRequestPhase.Failed));
            var set = await client.AppsV1.ReadNamespacedStatefulSetAsync("mg-rs", "demo");

            Assert.Contains(failed.Status!.Conditions ?? [], c => c.Message?.Contains($"{notMounted} is not a folder mounted here", StringComparison.Ordinal) == true);
            Assert.Equal(["mongodb"], set.Spec.Template.Spec.Containers.Select(c => c.Name));
            Assert.False(Directory.Exists(notMounted));
            var archiver = await WaitForAsync(async () => (await node.Store.ListAsync<MongoDBArchiver>("demo")).FirstOrDefault(a => a.Status?.Phase == ArchiverPhase.Blocked));
            Assert.NotNull(archiver);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_node_waits_for_a_database_KubeDB_has_not_made_Ready_saying_so_and_configures_it_once_it_is()
    {
        await using var apiServer = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo"], CustomResourceDefinitions = GeneratedCrds() });
        var folder = Directory.CreateTempSubdirectory("archiver-cluster-node-").FullName;
        try
        {
            var kubeconfig = await KubeconfigAsync(apiServer, folder);
            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var admin = new KubernetesResourceStore(client);
            await ApplyExamplesAsync(admin, MountedAt(Directory.CreateDirectory(Path.Combine(folder, "backups")).FullName));
            await client.AppsV1.CreateNamespacedStatefulSetAsync(KubeDbStatefulSet(), "demo");
            // KubeDB provisions it and reports so (and never gets further while its pods do not come up).
            await KubeDbPhaseAsync(admin, "Provisioning");

            await using var node = await StartNodeAsync(folder, kubeconfig);

            var waiting = await WaitForAsync(async () => (await node.Store.ListAsync<MongoDBOpsRequest>("demo"))
                .SelectMany(r => r.Status?.Conditions ?? []).FirstOrDefault(c => c.Reason == "Waiting"));
            Assert.Equal("waiting for MongoDB demo/mg-rs to be Ready (KubeDB reports status.phase Provisioning)", waiting.Message);
            Assert.Equal(OpsRequestPhase.Progressing, Assert.Single(await node.Store.ListAsync<MongoDBOpsRequest>("demo")).Status!.Phase);
            Assert.Equal(["mongodb"], (await client.AppsV1.ReadNamespacedStatefulSetAsync("mg-rs", "demo")).Spec.Template.Spec.Containers.Select(c => c.Name));
            // The archiver, where one looks first, says it too.
            var ready = await WaitForAsync(async () => (await node.Store.ListAsync<MongoDBArchiver>("demo")).SelectMany(a => a.Status?.Conditions ?? [])
                .FirstOrDefault(c => c.Type == "Ready" && c.Message?.Contains("waits: ", StringComparison.Ordinal) == true));
            Assert.Equal($"the archiver is Progressing; demo/mg-rs waits: {waiting.Message}", ready.Message);

            await KubeDbPhaseAsync(admin, Messages.Resources.MongoDB.ReadyPhase);
            // The emulator runs no StatefulSet controller: the rollout the request waits for is reported as one would.
            var restarted = await WaitForAsync(async () =>
            {
                var set = await client.AppsV1.ReadNamespacedStatefulSetAsync("mg-rs", "demo");
                return set.Spec.Template.Metadata?.Annotations?.ContainsKey(KubernetesWorkloads.RestartedAtAnnotation) == true ? set : null;
            });
            restarted.Status = new V1StatefulSetStatus
            {
                ObservedGeneration = restarted.Metadata.Generation, Replicas = restarted.Spec.Replicas ?? 1, ReadyReplicas = restarted.Spec.Replicas ?? 1,
                UpdatedReplicas = restarted.Spec.Replicas ?? 1, CurrentRevision = "rolled", UpdateRevision = "rolled",
            };
            await client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(restarted, "mg-rs", "demo");

            var done = await WaitForAsync(async () => (await node.Store.ListAsync<MongoDBOpsRequest>("demo")).FirstOrDefault(r => r.Status?.Phase == OpsRequestPhase.Successful));
            Assert.Contains((await client.AppsV1.ReadNamespacedStatefulSetAsync("mg-rs", "demo")).Spec.Template.Spec.Containers, c => c.Name == "archiver");
            Assert.Single(await node.Store.ListAsync<MongoDBOpsRequest>("demo"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The emulator's admin kubeconfig in the test's folder, as a node is given one.</summary>
    /// <summary>The CRDs of deploy/statefulset/crds.yaml (typed schemas), so every object the node writes is checked against them.</summary>
    private static IReadOnlyList<System.Text.Json.Nodes.JsonObject> GeneratedCrds() =>
        [.. ResourceKinds.All.Select(k => CrdManifests.Definition(k, DocComments.Empty))];

    private static async Task<string> KubeconfigAsync(KubernetesEmulator apiServer, string folder)
    {
        var kubeconfig = Path.Combine(folder, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, apiServer.Kubeconfig());
        return kubeconfig;
    }

    /// <summary>A node driving the emulator's cluster (Brisk settings, the API on a free port).</summary>
    private static Task<ArchiverNodeHost> StartNodeAsync(string folder, string kubeconfig) =>
        ArchiverNodeHost.StartAsync(new NodeSettings
        {
            DataFolder = Path.Combine(folder, "data"),
            HttpPort = 0,
            Brisk = true,
            Kubernetes = new ClusterConnection { Kubeconfig = kubeconfig, SidecarImage = "archiver:e2e" },
        }, Microsoft.Extensions.Logging.LogLevel.Error);

    /// <summary>What KubeDB's operator writes: the database's <c>status.phase</c>.</summary>
    private static Task KubeDbPhaseAsync(KubernetesResourceStore store, string phase) =>
        store.UpdateStatusAsync<Messages.Resources.MongoDB>(new ResourceId("demo", "mg-rs"), db => db with
        {
            Status = (db.Status ?? new MongoDBStatus()) with
            {
                Other = new Dictionary<string, System.Text.Json.JsonElement>(db.Status?.Other ?? new Dictionary<string, System.Text.Json.JsonElement>())
                {
                    ["phase"] = System.Text.Json.JsonSerializer.SerializeToElement(phase),
                },
            },
        });

    /// <summary>A local storage backend at <paramref name="path"/>, named as the hostPath volume the database pods mount there.</summary>
    private static Func<StorageBackend, StorageBackend> MountedAt(string path) => backend => backend with
    {
        Provider = StorageProvider.Local,
        Local = new LocalBackendSpec { MountPath = path, HostPath = System.Text.Json.JsonSerializer.SerializeToElement(new { path }) },
    };

    private static async Task ApplyExamplesAsync(KubernetesResourceStore store, Func<StorageBackend, StorageBackend> backend)
    {
        foreach (var name in new[] { "storage.yaml", "archiver.yaml", "mongodb.yaml" })
        {
            var text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", name));
            foreach (var document in ManifestReader.Read(text).Documents)
            {
                switch (document.Resource)
                {
                    case BackupStorage storage: await store.CreateAsync(storage with { Spec = storage.Spec! with { Storage = backend(storage.Spec.Storage!) } }); break;
                    case RetentionPolicy policy: await store.CreateAsync(policy); break;
                    case MongoDBArchiver archiver: await store.CreateAsync(archiver); break;
                    case Messages.Resources.MongoDB database: await store.CreateAsync(database); break;
                    default: throw new InvalidOperationException($"{document.Subject}: not expected in the examples");
                }
            }
        }
    }

    // What KubeDB makes for MongoDB demo/mg-rs: a StatefulSet of the same name with the database container.
    private static V1StatefulSet KubeDbStatefulSet() => new()
    {
        Metadata = new V1ObjectMeta { Name = "mg-rs", NamespaceProperty = "demo" },
        Spec = new V1StatefulSetSpec
        {
            ServiceName = "mg-rs-pods",
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg-rs" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg-rs" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "mongodb", Image = "mongo:7.0.12" }] },
            },
        },
    };

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the node did not get there within 40 s");
            await Task.Delay(200);
        }
    }
}
