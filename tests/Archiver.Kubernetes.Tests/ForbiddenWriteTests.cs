using System.Text;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Emulators.Kubernetes;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// A node whose RBAC lacks a verb it needs, against the emulator with RBAC on: the 403 reaches the ports as
/// <see cref="ResourceForbiddenException"/> in the API server's own words (verb, resource, group, namespace), which the
/// ops request waits out and the archiver reports; once the verb is granted the same calls succeed.
/// </summary>
public sealed class ForbiddenWriteTests : IAsyncLifetime
{
    private const string Node = "system:serviceaccount:archiver:archiver";
    private KubernetesEmulator _api = null!;
    private IKubernetes _admin = null!;
    private IKubernetes _node = null!;

    public async Task InitializeAsync()
    {
        _api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo", "archiver"], Rbac = true });
        _admin = Client(_api.Kubeconfig());
        _node = Client(_api.Kubeconfig(_api.IssueServiceAccountToken("archiver", "archiver")));
    }

    [Fact]
    public async Task A_write_RBAC_refuses_is_a_forbidden_error_quoting_the_API_server_and_succeeds_once_granted()
    {
        var admin = new KubernetesResourceStore(_admin);
        await admin.CreateAsync(Resources.Database("demo", "mg", phase: Messages.Resources.MongoDB.ReadyPhase));
        await _admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s3-keys" },
            Data = new Dictionary<string, byte[]> { [BackupStorageSecrets.AccessKeyId] = "AKID"u8.ToArray(), [BackupStorageSecrets.SecretAccessKey] = "not-a-real-secret"u8.ToArray() },
        }, "demo");
        await admin.CreateAsync(new BackupStorage
        {
            Metadata = new V1ObjectMeta { Name = "s3", NamespaceProperty = "demo" },
            Spec = new BackupStorageSpec { Storage = new StorageBackend { Provider = StorageProvider.S3, S3 = new S3BackendSpec { Endpoint = "http://s3:9000", Bucket = "backups", SecretName = "s3-keys" } } },
        });
        await _admin.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet(), "demo");
        // The node's role without update on statefulsets and without create on mongodbopsrequests.
        await _admin.RbacAuthorizationV1.CreateClusterRoleAsync(Role(statefulSets: ["get"], opsRequests: ["get"]));
        await _admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "archiver" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "archiver" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "archiver", NamespaceProperty = "archiver" }],
        });
        var store = new KubernetesResourceStore(_node);
        var workloads = new KubernetesWorkloads(_node, store, new KubernetesWorkloadsOptions { SidecarImage = "archiver:test" });
        var db = new ResourceId("demo", "mg");
        var spec = new ArchivingSpec(new ResourceId("demo", "s3"), "db/MongoDB/demo/mg", "h1", TimeSpan.FromSeconds(1), 16 * 1024 * 1024);

        var patch = await Assert.ThrowsAsync<ResourceForbiddenException>(() => workloads.EnsureArchivingAsync(db, spec));
        var create = await Assert.ThrowsAsync<ResourceForbiddenException>(() => store.CreateAsync(OpsRequest()));

        Assert.Equal($"statefulsets.apps \"mg\" is forbidden: User \"{Node}\" cannot update resource \"statefulsets\" in API group \"apps\" in the namespace \"demo\"", patch.Message);
        Assert.Equal($"mongodbopsrequests.ops.kubedb.com is forbidden: User \"{Node}\" cannot create resource \"mongodbopsrequests\" in API group \"ops.kubedb.com\" in the namespace \"demo\"", create.Message);
        // Waited out by the ops request, never failed for: granting the verb is the fix.
        Assert.Equal(StepFailureKind.Wait, StepFailures.Classify(patch));
        Assert.DoesNotContain((await _admin.AppsV1.ReadNamespacedStatefulSetAsync("mg", "demo")).Spec.Template.Spec.Containers, c => c.Name == "archiver");

        await _admin.RbacAuthorizationV1.ReplaceClusterRoleAsync(Role(statefulSets: ["get", "update"], opsRequests: ["get", "create"]), "archiver");
        await workloads.EnsureArchivingAsync(db, spec);
        await store.CreateAsync(OpsRequest());

        Assert.Contains((await _admin.AppsV1.ReadNamespacedStatefulSetAsync("mg", "demo")).Spec.Template.Spec.Containers, c => c.Name == "archiver");
        Assert.NotNull(await admin.GetAsync<MongoDBOpsRequest>(new ResourceId("demo", "mg-configure")));
    }

    /// <summary>What the step needs besides the verbs under test (deploy/statefulset/rbac.yaml grants all of it).</summary>
    private static V1ClusterRole Role(string[] statefulSets, string[] opsRequests) => new()
    {
        Metadata = new V1ObjectMeta { Name = "archiver" },
        Rules =
        [
            new V1PolicyRule { ApiGroups = [ApiGroups.KubeDb], Resources = ["mongodbs"], Verbs = ["get"] },
            new V1PolicyRule { ApiGroups = [ApiGroups.KubeStashStorage], Resources = ["backupstorages"], Verbs = ["get"] },
            new V1PolicyRule { ApiGroups = [ApiGroups.Archiver], Resources = ["mongodbarchivers"], Verbs = ["get", "list"] },
            new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get", "create", "update", "delete"] },
            new V1PolicyRule { ApiGroups = ["apps"], Resources = ["statefulsets"], Verbs = statefulSets },
            new V1PolicyRule { ApiGroups = [ApiGroups.Ops], Resources = ["mongodbopsrequests"], Verbs = opsRequests },
            new V1PolicyRule { ApiGroups = ["rbac.authorization.k8s.io"], Resources = ["rolebindings"], Verbs = ["get", "create", "delete"] },
            new V1PolicyRule { ApiGroups = ["rbac.authorization.k8s.io"], Resources = ["clusterroles"], ResourceNames = ["archiver-sidecar"], Verbs = ["bind"] },
        ],
    };

    private static MongoDBOpsRequest OpsRequest() => new()
    {
        Metadata = new V1ObjectMeta { Name = "mg-configure", NamespaceProperty = "demo" },
        Spec = new MongoDBOpsRequestSpec
        {
            Type = OpsRequestType.Backup,
            DatabaseRef = new DatabaseRef { Name = "mg" },
            Archiver = new ArchiverOperation { Operation = ArchiverOperationType.ConfigureArchiver, Ref = new ObjectRef { Name = "archiver", Namespace = "demo" } },
        },
    };

    // What KubeDB makes for MongoDB demo/mg: a StatefulSet of the same name with the database container.
    private static V1StatefulSet StatefulSet() => new()
    {
        Metadata = new V1ObjectMeta { Name = "mg", NamespaceProperty = "demo" },
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
    };

    private static k8s.Kubernetes Client(string kubeconfig)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _node.Dispose();
        await _api.DisposeAsync();
    }
}
