using System.Text.Json;
using Archiver.Actors.Ports;
using k8s;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// A sharded database's workloads as KubeDB names them (kubedb/apimachinery apis/kubedb/v1/mongodb_helpers.go; MemberWorkloads): the sidecar in
/// its config server's and shards', never in its routers', and its report combined from theirs.
/// </summary>
public sealed partial class KubernetesWorkloadsTests
{
    private static readonly string[] ShardedWorkloads = ["mg-configsvr", "mg-shard0", "mg-shard1", "mg-mongos"];

    [Fact]
    public async Task A_sharded_database_gets_the_sidecar_in_its_config_server_and_shards_and_loses_it_from_them_all_and_its_routers_are_untouched()
    {
        var (workloads, db, spec) = await DatabaseAsync(Sharded);
        await ShardedWorkloadsAsync(db.Namespace);
        var routers = await server.Client.AppsV1.ReadNamespacedStatefulSetAsync("mg-mongos", db.Namespace);

        await workloads.EnsureArchivingAsync(db, spec);

        foreach (var name in ShardedWorkloads[..3])
        {
            Assert.Contains((await server.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, db.Namespace)).Spec.Template.Spec.Containers, c => c.Name == "archiver");
        }

        Assert.Equal(routers.Metadata.ResourceVersion, (await server.Client.AppsV1.ReadNamespacedStatefulSetAsync("mg-mongos", db.Namespace)).Metadata.ResourceVersion);

        await workloads.RestartAsync(db, "t1");
        foreach (var name in ShardedWorkloads)
        {
            var annotations = (await server.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, db.Namespace)).Spec.Template.Metadata?.Annotations;
            Assert.Equal(name == "mg-mongos" ? null : "t1", annotations?.TryGetValue(KubernetesWorkloads.RestartTokenAnnotation, out var token) == true ? token : null);
        }

        await workloads.StopArchivingAsync(db);

        foreach (var name in ShardedWorkloads)
        {
            Assert.Equal(["mongodb"], (await server.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, db.Namespace)).Spec.Template.Spec.Containers.Select(c => c.Name));
        }
    }

    [Fact]
    public async Task A_sharded_databases_report_combines_its_replica_sets_and_one_not_reporting_leaves_the_range_unknown()
    {
        var (workloads, db, spec) = await DatabaseAsync(Sharded);
        await ShardedWorkloadsAsync(db.Namespace);
        await workloads.EnsureArchivingAsync(db, spec);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        await MemberPodAsync(db.Namespace, "mg-configsvr", new ArchivingReport("cnfRepSet", start, start.AddMinutes(30), TimeSpan.FromSeconds(1), null, null, DateTimeOffset.UtcNow));
        await MemberPodAsync(db.Namespace, "mg-shard0", new ArchivingReport("shard0", start.AddMinutes(1), start.AddMinutes(20), TimeSpan.FromSeconds(3), null, null, DateTimeOffset.UtcNow));

        var partial = await workloads.ReportAsync(db);

        Assert.Equal(["cnfRepSet", "shard0", "shard1"], partial?.Parts?.Select(p => p.Component));
        Assert.Null(partial?.WalEnd);

        await MemberPodAsync(db.Namespace, "mg-shard1", new ArchivingReport("shard1", start, start.AddMinutes(25), TimeSpan.FromSeconds(2), null, null, DateTimeOffset.UtcNow));
        var whole = await workloads.ReportAsync(db);

        Assert.Equal(ArchivingReport.ClusterComponent, whole?.Component);
        Assert.Equal(start.AddMinutes(1), whole?.WalStart);
        Assert.Equal(start.AddMinutes(20), whole?.WalEnd);
        Assert.Equal(TimeSpan.FromSeconds(3), whole?.Lag);
    }

    [Fact]
    public async Task A_sharded_databases_rollout_waits_for_each_member_workload_in_turn_and_never_for_its_routers()
    {
        var (workloads, db, _) = await DatabaseAsync(Sharded);
        await ShardedWorkloadsAsync(db.Namespace);
        async Task StatusAsync(string name, bool rolled)
        {
            // As the StatefulSet controller reports it, through the status subresource.
            var latest = await server.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, db.Namespace);
            latest.Status = new V1StatefulSetStatus
            {
                ObservedGeneration = latest.Metadata.Generation, Replicas = 1, ReadyReplicas = 1, UpdatedReplicas = 1,
                CurrentRevision = rolled ? "r2" : "r1", UpdateRevision = "r2",
            };
            await server.Client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(latest, name, db.Namespace);
        }

        await workloads.RestartAsync(db, "op-1");
        foreach (var name in ShardedWorkloads) await StatusAsync(name, rolled: false);
        var none = await workloads.RolloutAsync(db);
        await StatusAsync("mg-configsvr", rolled: true);
        var config = await workloads.RolloutAsync(db);
        await StatusAsync("mg-shard0", rolled: true);
        await StatusAsync("mg-shard1", rolled: true);
        var all = await workloads.RolloutAsync(db);

        Assert.False(none.Done);
        Assert.Contains("mg-configsvr", none.Message, StringComparison.Ordinal);
        Assert.False(config.Done);
        Assert.Contains("mg-shard0", config.Message, StringComparison.Ordinal);
        // Done with the routers' workload never rolled: it is not the database's to roll.
        Assert.True(all.Done, all.Message);
        Assert.DoesNotContain("mg-mongos", all.Message, StringComparison.Ordinal);
    }

    private static Database Sharded(Database database) => database with
    {
        Spec = database.Spec! with
        {
            Other = new Dictionary<string, JsonElement>(database.Spec!.Other!)
            {
                ["shardTopology"] = JsonSerializer.SerializeToElement(new { configServer = new { replicas = 1 }, shard = new { shards = 2, replicas = 1 }, mongos = new { replicas = 1 } }),
            },
        },
    };

    // KubeDB's workloads of a sharded database, and none named after the database itself (the fixture's replica set's).
    private async Task ShardedWorkloadsAsync(string ns)
    {
        await server.Client.AppsV1.DeleteNamespacedStatefulSetAsync("mg", ns);
        foreach (var name in ShardedWorkloads) await WorkloadAsync(ns, name);
    }

    // One of KubeDB's workloads of a sharded database, selecting its pods by its node label's value (its own name).
    private Task<V1StatefulSet> WorkloadAsync(string ns, string name)
    {
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg", [$"mongodb.kubedb.com/node.{NodeOf(name)}"] = name };
        return server.Client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new V1StatefulSetSpec
            {
                ServiceName = $"{name}-pods",
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "mongodb", Image = "mongo:7.0" }] },
                },
            },
        }, ns);
    }

    private static string NodeOf(string workload) => workload.EndsWith("-configsvr", StringComparison.Ordinal) ? "config" : workload.EndsWith("-mongos", StringComparison.Ordinal) ? "mongos" : "shard";

    private Task<V1Pod> MemberPodAsync(string ns, string workload, ArchivingReport report) => server.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
    {
        Metadata = new V1ObjectMeta
        {
            Name = $"{workload}-0",
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "mg", [$"mongodb.kubedb.com/node.{NodeOf(workload)}"] = workload },
            Annotations = new Dictionary<string, string> { ["archiver.kubedb.com/report"] = JsonSerializer.Serialize(report, ReportJson.Options) },
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "mongodb", Image = "mongo:7.0" }, new V1Container { Name = "archiver", Image = "archiver:test" }] },
    }, ns);
}
