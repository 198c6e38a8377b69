using System.Collections.Concurrent;
using System.Text.Json;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Actors.OpsRequests;
using Archiver.Host.Admission;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using Microsoft.Extensions.Logging.Abstractions;

namespace Archiver.Host.Tests;

/// <summary>
/// A database created to be restored from a history its spec cannot take is refused where it is created (the webhook,
/// <c>apply</c>), when the storage's index knows the plan at once; otherwise it is let in and the restore checks.
/// </summary>
public sealed class DatabaseAdmissionTests
{
    private static readonly PlanInfo ShardedPlan = new(1, "b1", "100:1", ["cnfRepSet", "shard0", "shard1"], 6, 4096, ConfigServer: "cnfRepSet");

    private readonly InMemoryResourceStore _store = new();
    private readonly FakePlans _plans = new();
    private readonly DatabaseAdmission _admission;

    public DatabaseAdmissionTests() => _admission = new DatabaseAdmission(_store, _plans, new Runner(null), TimeProvider.System);

    [Fact]
    public async Task A_replica_set_asking_for_a_sharded_clusters_history_is_refused_naming_both_shapes_after_asking_where_its_entity_would()
    {
        var archiver = await ArchiverAsync();
        _plans.Answer = ShardedPlan;

        var refused = Assert.Single(await _admission.RefusedRestoresAsync([Database("mg-new")], CancellationToken.None));

        Assert.Equal(
            "MongoDB demo/mg-new: spec.init.archiver: backup b1 is of a sharded cluster of 2 shard(s) (shard0, shard1) and config server cnfRepSet; "
            + "demo/mg-new is a replica set (no spec.shardTopology): restore it into a MongoDB with spec.shardTopology.shard.shards: 2",
            refused);
        var (storage, prefix, target) = Assert.Single(_plans.Asked);
        Assert.Equal(new ResourceId("stash", "local"), storage);
        Assert.Equal(ArchiverResources.Directory(archiver, new ResourceId("demo", "mg-new")), prefix);
        Assert.StartsWith("2030-01-01T00:00:00", target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_of_the_same_shape_an_unknown_plan_and_an_existing_database_are_let_in()
    {
        await ArchiverAsync();
        _plans.Answer = ShardedPlan;
        Assert.Empty(await _admission.RefusedRestoresAsync([Database("mg-sh", shards: 2)], CancellationToken.None));

        _plans.Answer = null;
        Assert.Empty(await _admission.RefusedRestoresAsync([Database("mg-new")], CancellationToken.None));

        _plans.Answer = ShardedPlan;
        await _store.CreateAsync(Database("mg-there"));
        var asked = _plans.Asked.Count;
        Assert.Empty(await _admission.RefusedRestoresAsync([Database("mg-there")], CancellationToken.None));
        Assert.Equal(asked, _plans.Asked.Count);
    }

    [Fact]
    public async Task The_webhook_refuses_it_with_422_and_the_field_as_the_api_server_refuses_an_invalid_field()
    {
        await ArchiverAsync();
        _plans.Answer = ShardedPlan;
        var json = ManifestWriter.ToJson(Database("mg-new"));
        var request = new AdmissionRequest
        {
            Uid = "u1",
            Namespace = "demo",
            Operation = "CREATE",
            Kind = new AdmissionKind { Group = "kubedb.com", Version = "v1alpha2", Kind = "MongoDB" },
            Object = JsonDocument.Parse(json).RootElement,
        };

        var response = await MongoDBMutatingWebhook.RespondAsync("u1", request, _admission, NullLogger.Instance, CancellationToken.None);

        Assert.False(response.Allowed);
        Assert.Equal(422, response.Status!.Code);
        Assert.StartsWith("MongoDB mg-new is invalid: spec.init.archiver: backup b1 is of a sharded cluster", response.Status.Message, StringComparison.Ordinal);
        Assert.Equal("spec.init.archiver", Assert.Single(response.Status.Details!.Causes!).Field);

        _plans.Answer = null;
        Assert.True((await MongoDBMutatingWebhook.RespondAsync("u2", request, _admission, NullLogger.Instance, CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task On_a_node_that_reads_the_spec_as_kubedb_does_a_standalone_gets_no_archiver_and_one_asking_for_it_is_refused()
    {
        await ArchiverAsync();
        var cluster = new DatabaseAdmission(_store, _plans, new Runner(MongoDBResource.StandaloneReason), TimeProvider.System);
        var standalone = Standalone(asking: false);

        Assert.Same(standalone, await cluster.MutateAsync(standalone, CancellationToken.None));
        Assert.NotNull((await _admission.MutateAsync(standalone, CancellationToken.None)).Spec!.Archiver);
        Assert.True((await ReviewAsync(cluster, Standalone(asking: false))).Allowed);

        var asking = await ReviewAsync(cluster, Standalone(asking: true));
        Assert.False(asking.Allowed);
        Assert.Equal($"MongoDB one is invalid: spec.replicaSet: {MongoDBResource.StandaloneReason}", asking.Status!.Message);
        Assert.Equal("spec.replicaSet", Assert.Single(asking.Status.Details!.Causes!).Field);
        Assert.True((await ReviewAsync(_admission, Standalone(asking: true))).Allowed);
    }

    private static MongoDBResource Standalone(bool asking) => (MongoDBResource)ManifestReader.Read(
        "apiVersion: kubedb.com/v1alpha2\nkind: MongoDB\nmetadata: {name: one, namespace: demo, labels: {archiver: \"true\"} }\n"
        + (asking ? "spec: {version: \"7.0.12\", archiver: {ref: {name: nightly}} }" : "spec: {version: \"7.0.12\"}")).Resources[0];

    private static Task<AdmissionResponse> ReviewAsync(DatabaseAdmission admission, MongoDBResource database) => MongoDBMutatingWebhook.RespondAsync(
        "u",
        new AdmissionRequest
        {
            Uid = "u",
            Namespace = "demo",
            Operation = "CREATE",
            Kind = new AdmissionKind { Group = "kubedb.com", Version = "v1", Kind = "MongoDB" },
            Object = JsonDocument.Parse(ManifestWriter.ToJson(database)).RootElement,
        },
        admission,
        NullLogger.Instance,
        CancellationToken.None);

    private sealed class Runner(string? standalone) : IFullBackupRunner
    {
        public Task<FullBackupResult> RunAsync(ResourceId database, string runId, int attempt, CancellationToken cancellation) => throw new NotSupportedException();

        public string? Refuses(FullBackupDriver driver) => null;

        public string? RefusesStandalone() => standalone;
    }

    private async Task<MongoDBArchiver> ArchiverAsync() => await _store.CreateAsync((MongoDBArchiver)ManifestReader.Read("""
        apiVersion: archiver.kubedb.com/v1alpha1
        kind: MongoDBArchiver
        metadata: {name: nightly, namespace: demo}
        spec:
          databases:
            namespaces: {from: Same}
            selector: {matchLabels: {archiver: "true"}}
          fullBackup: {driver: Logical, scheduler: {schedule: "@daily"}}
          backupStorage: {ref: {name: local, namespace: stash}}
          deletionPolicy: Delete
        """).Resources[0]);

    private static MongoDBResource Database(string name, int? shards = null)
    {
        var topology = shards is { } n
            ? $"shardTopology: {{configServer: {{replicas: 1}}, mongos: {{replicas: 1}}, shard: {{replicas: 1, shards: {n}}}}}"
            : "replicaSet: {name: rs0}";
        return (MongoDBResource)ManifestReader.Read($$"""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: {{name}}, namespace: demo, labels: {archiver: "true"} }
            spec:
              version: "7.0.12"
              {{topology}}
              init:
                archiver:
                  recoveryTimeStamp: "2030-01-01T00:00:00Z"
                  repository: {name: local, namespace: stash}
            """).Resources[0];
    }

    private sealed class FakePlans : IRestorePlanLookup
    {
        public PlanInfo? Answer { get; set; }

        public ConcurrentQueue<(ResourceId Storage, string Prefix, string Target)> Asked { get; } = new();

        public Task<PlanInfo?> PlanAsync(ResourceId storage, string prefix, string target, CancellationToken cancellation)
        {
            Asked.Enqueue((storage, prefix, target));
            return Task.FromResult(Answer);
        }
    }
}
