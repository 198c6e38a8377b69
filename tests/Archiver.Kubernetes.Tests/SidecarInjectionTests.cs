using System.Text.Json.Nodes;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The decision of the pods webhook: a KubeDB pod of an archived database gets the same sidecar and volumes the
/// template path writes (<see cref="KubernetesWorkloads.EnsureArchivingAsync"/>), any other pod nothing.
/// </summary>
public sealed class SidecarInjectionTests
{
    private static readonly KubernetesWorkloadsOptions Options = new() { SidecarImage = "archiver:test" };

    private readonly MongoDBArchiver _archiver = (MongoDBArchiver)ManifestReader.Read("""
        apiVersion: archiver.kubedb.com/v1alpha1
        kind: MongoDBArchiver
        metadata: {name: nightly, namespace: kubedb}
        spec:
          databases: {namespaces: {from: All}}
          fullBackup: {driver: Logical, scheduler: {schedule: "@daily"}}
          walBackup: {config: {chunkMaxAge: 2s}}
          backupStorage: {ref: {name: shared, namespace: stash}}
          deletionPolicy: Delete
        """).Resources[0];

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

    public SidecarInjectionTests()
    {
        _database = Resources.Database("shop", "mg") with { Spec = new MongoDBSpec { Archiver = new DatabaseArchiverRef { Ref = new ObjectRef { Name = "nightly", Namespace = "kubedb" } } } };
        _database.Metadata.Uid = "uid-1";
    }

    private BackupConfiguration Configuration => ArchiverResources.BackupConfiguration(_archiver, _database, SpecHash.Compute(_archiver.Spec!));

    [Fact]
    public void A_pod_of_an_archived_database_gets_the_sidecar_the_template_path_builds_and_its_volumes()
    {
        var pod = Pod(volumes: [new V1Volume { Name = "datadir", EmptyDir = new V1EmptyDirVolumeSource() }]);

        var decision = SidecarInjection.Decide(pod, _database, _archiver, _storage, Configuration, Options);
        var patched = Apply(pod, decision.Patch!);

        var id = ResourceId.Of(_database);
        var copies = SidecarStorage.Copies(id, _storage);
        var spec = ArchiverResources.Archiving(_archiver, id, SpecHash.Compute(_archiver.Spec!), "uid-1");
        var expected = SidecarContainer.Build(Options, _database, _storage, copies, spec, SidecarRuntime.From(null, spec.ChunkMaxSize));
        Assert.Equal(["mongodb", "archiver"], patched.Spec.Containers.Select(c => c.Name));
        Assert.Equal(KubernetesJson.Serialize(expected), KubernetesJson.Serialize(patched.Spec.Containers[1]));
        Assert.Contains("2000ms", patched.Spec.Containers[1].Args);
        Assert.Equal(
            ["datadir", .. SidecarContainer.Volumes(_database, _storage, copies).Select(v => v.Name)],
            patched.Spec.Volumes.Select(v => v.Name));
        Assert.Single(copies);
        // The pod says where its sidecar came from; the labels it had are left as they were.
        Assert.Equal(SpecHash.Compute(_archiver.Spec!), patched.Metadata.Annotations[SidecarInjection.InjectedAnnotation]);
        Assert.Equal("kept", patched.Metadata.Annotations["other"]);
        Assert.Equal(pod.Metadata.Labels, patched.Metadata.Labels);
    }

    [Fact]
    public void A_sharded_databases_config_server_and_shard_pods_get_the_sidecar_and_its_routers_do_not()
    {
        var sharded = _database with { Spec = _database.Spec! with { Other = new Dictionary<string, System.Text.Json.JsonElement> { ["shardTopology"] = JsonDocument("""{"shard":{"shards":2}}""") } } };
        V1Pod PodOf(string label, string workload)
        {
            var pod = Pod(volumes: null);
            pod.Metadata.Name = $"{workload}-0";
            pod.Metadata.Labels[label] = workload;
            return pod;
        }

        var router = SidecarInjection.Decide(PodOf(MemberWorkloads.MongosLabel, "mg-mongos"), sharded, _archiver, _storage, Configuration, Options);
        var shard = SidecarInjection.Decide(PodOf("mongodb.kubedb.com/node.shard", "mg-shard1"), sharded, _archiver, _storage, Configuration, Options);
        var config = SidecarInjection.Decide(PodOf("mongodb.kubedb.com/node.config", "mg-configsvr"), sharded, _archiver, _storage, Configuration, Options);

        Assert.Null(router.Patch);
        Assert.Contains("router (mongos)", router.Why, StringComparison.Ordinal);
        Assert.NotNull(shard.Patch);
        Assert.NotNull(config.Patch);
    }

    [Fact]
    public void A_pod_without_volumes_or_annotations_gets_both_lists_whole()
    {
        var pod = Pod(volumes: null);
        pod.Metadata.Annotations = null;

        var patched = Apply(pod, SidecarInjection.Decide(pod, _database, _archiver, _storage, Configuration, Options).Patch!);

        Assert.Equal(SidecarContainer.Volumes(_database, _storage, SidecarStorage.Copies(ResourceId.Of(_database), _storage)).Select(v => v.Name), patched.Spec.Volumes.Select(v => v.Name));
        Assert.Equal([SidecarInjection.InjectedAnnotation], patched.Metadata.Annotations.Keys);
    }

    [Fact]
    public void A_pod_the_template_already_gave_the_sidecar_is_left_as_it_is()
    {
        var pod = Pod(volumes: null);
        pod.Spec.Containers.Add(new V1Container { Name = Options.ContainerName, Image = "older" });

        var decision = SidecarInjection.Decide(pod, _database, _archiver, _storage, Configuration, Options);

        Assert.Null(decision.Patch);
        Assert.Equal("the pod has the sidecar already", decision.Why);
    }

    [Fact]
    public void A_database_created_naming_its_archiver_gets_the_sidecar_before_its_BackupConfiguration_exists()
    {
        // Its entity is configuring it with no ops request and no restart: KubeDB's first pods must have the sidecar.
        var decision = SidecarInjection.Decide(Pod(volumes: null), _database, _archiver, _storage, null, Options);
        var configured = SidecarInjection.Decide(Pod(volumes: null), Configured(_database), _archiver, _storage, null, Options);

        Assert.NotNull(decision.Patch);
        Assert.Null(configured.Patch);
    }

    private static Database Configured(Database database) => database with
    {
        Metadata = new V1ObjectMeta
        {
            Name = database.Metadata.Name,
            NamespaceProperty = database.Metadata.NamespaceProperty,
            Uid = database.Metadata.Uid,
            Annotations = new Dictionary<string, string> { [ApiGroups.SpecHashAnnotation] = "h1" },
        },
    };

    [Fact]
    public void Nothing_is_added_unless_the_database_is_archived_and_everything_the_sidecar_needs_exists()
    {
        var pod = Pod(volumes: null);
        var unnamed = _database with { Spec = new MongoDBSpec() };
        var restoring = _database with { Spec = _database.Spec! with { Init = new MongoDBInit { Archiver = new ArchiverRecovery() } } };
        var deleting = _archiver with { Metadata = new V1ObjectMeta { Name = "nightly", NamespaceProperty = "kubedb", DeletionTimestamp = DateTime.UtcNow } };
        var badRuntime = _archiver with { Spec = _archiver.Spec! with { WalBackup = _archiver.Spec.WalBackup! with { RuntimeSettings = JsonDocument("""{"container":{"resources":{"limits":"lots"}}}""") } } };
        var unmounted = (BackupStorage)ManifestReader.Read("""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata: {name: shared, namespace: stash}
            spec: {storage: {provider: local, local: {mountPath: /backups}}}
            """).Resources[0];

        var decisions = new (InjectionDecision Decision, string Why)[]
        {
            (SidecarInjection.Decide(pod, unnamed, _archiver, _storage, Configuration, Options), "names no archiver"),
            (SidecarInjection.Decide(pod, restoring, _archiver, _storage, Configuration, Options), "is being restored"),
            // Between a disable's first step (the BackupConfiguration deleted) and its last (spec.archiver cleared): it was
            // configured, so it carries the archiver's spec-hash.
            (SidecarInjection.Decide(pod, Configured(_database), _archiver, _storage, null, Options), "no BackupConfiguration"),
            (SidecarInjection.Decide(pod, _database, null, _storage, Configuration, Options), "archiver kubedb/nightly does not exist"),
            (SidecarInjection.Decide(pod, _database, deleting, _storage, Configuration, Options), "archiver kubedb/nightly does not exist"),
            (SidecarInjection.Decide(pod, _database, _archiver, null, Configuration, Options), "the BackupStorage archiver kubedb/nightly names does not exist"),
            (SidecarInjection.Decide(pod, _database, _archiver, unmounted, Configuration, Options), "spec.storage.local"),
            (SidecarInjection.Decide(pod, _database, badRuntime, _storage, Configuration, Options), "runtimeSettings"),
        };

        Assert.All(decisions, d =>
        {
            Assert.Null(d.Decision.Patch);
            Assert.Contains(d.Why, d.Decision.Why, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("kubedb.com", "mongodbs.kubedb.com", "mg", "shop/mg")]
    [InlineData("kubedb.com", "postgreses.kubedb.com", "mg", null)]
    [InlineData("helm", "mongodbs.kubedb.com", "mg", null)]
    [InlineData("kubedb.com", "mongodbs.kubedb.com", "", null)]
    public void A_pods_database_is_named_by_all_three_of_KubeDBs_labels(string managedBy, string name, string instance, string? database)
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { [SidecarInjection.ManagedByLabel] = managedBy, [SidecarInjection.NameLabel] = name, [SidecarInjection.InstanceLabel] = instance } } };

        Assert.Equal(database, SidecarInjection.DatabaseOf(pod, "shop")?.ToString());
        Assert.Null(SidecarInjection.DatabaseOf(new V1Pod { Metadata = new V1ObjectMeta() }, "shop"));
    }

    private static System.Text.Json.JsonElement JsonDocument(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();

    private static V1Pod Pod(List<V1Volume>? volumes) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = "mg-0",
            Labels = new Dictionary<string, string> { [SidecarInjection.ManagedByLabel] = "kubedb.com", [SidecarInjection.NameLabel] = "mongodbs.kubedb.com", [SidecarInjection.InstanceLabel] = "mg" },
            Annotations = new Dictionary<string, string> { ["other"] = "kept" },
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "mongodb", Image = "mongo:7.0.8" }], Volumes = volumes },
    };

    /// <summary>RFC 6902 <c>add</c> operations as the API server applies them (the only operation the decision writes).</summary>
    private static V1Pod Apply(V1Pod pod, JsonArray patch)
    {
        var document = JsonNode.Parse(KubernetesJson.Serialize(pod))!;
        foreach (var operation in patch.Select(o => o!.AsObject()))
        {
            Assert.Equal("add", (string?)operation["op"]);
            var tokens = ((string)operation["path"]!)[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
            var parent = tokens[..^1].Aggregate(document, (node, token) => node[token]!);
            var value = operation["value"]?.DeepClone();
            if (parent is JsonArray array && tokens[^1] == "-") array.Add(value);
            else parent.AsObject().Add(tokens[^1], value);
        }

        return KubernetesJson.Deserialize<V1Pod>(document.ToJsonString());
    }
}
