using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MongoDB.Bson;
using MongoDB.Driver;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// KubeDB's sharded MongoDB on the cluster stand-in, driven by kubectl as a user would: one workload and governing
/// Service per component with KubeDB's names and labels (kubedb/apimachinery's MongoDB helpers), the primary Service in
/// front of the routers, data written through it landing on both shards, and the shards registered under KubeDB's host
/// names; and a standalone MongoDB, which the stand-in still does not provision.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MongoDbShardedProvisioningTests
{
    private static readonly string[] Workloads = ["mg-sh-configsvr", "mg-sh-mongos", "mg-sh-shard0", "mg-sh-shard1"];

    [Fact]
    public async Task A_sharded_MongoDB_gets_a_workload_and_governing_Service_per_component_and_serves_a_sharded_collection_through_its_primary_Service()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg-sh, namespace: demo}
            spec:
              version: "7.0.21"
              shardTopology:
                shard: {shards: 2, replicas: 1, storage: {resources: {requests: {storage: 1Gi}}}}
                configServer: {replicas: 1, storage: {resources: {requests: {storage: 1Gi}}}}
                mongos: {replicas: 1}
            """);

        await session.WaitForPhaseAsync("demo", "mg-sh", "Ready");
        var petSets = (await session.ListAsync("demo", "petsets")).ToDictionary(s => Text(s["metadata"]?["name"]));
        var services = (await session.ListAsync("demo", "services")).ToDictionary(s => Text(s["metadata"]?["name"]));
        var pods = (await session.ListAsync("demo", "pods")).ToDictionary(p => Text(p["metadata"]?["name"]));
        var password = session.SecretValue("demo", "mg-sh-auth", "password");
        var router = Client($"mongodb://root:{password}@mg-sh.demo.svc:27017/?authSource=admin");
        var anonymous = Client("mongodb://mg-sh.demo.svc:27017/");
        var shard0 = Client($"mongodb://root:{password}@mg-sh-shard0-0.mg-sh-shard0-pods.demo.svc:27017/?replicaSet=shard0&authSource=admin");
        var shard1 = Client($"mongodb://root:{password}@mg-sh-shard1-0.mg-sh-shard1-pods.demo.svc:27017/?replicaSet=shard1&authSource=admin");
        try
        {
            var admin = router.GetDatabase("admin");
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("enableSharding", "app"));
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "app.c" }, { "key", new BsonDocument("_id", "hashed") } });
            var collection = router.GetDatabase("app").GetCollection<BsonDocument>("c");
            await collection.InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "n", i } }));
            var read = await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).ToListAsync();
            var onShard0 = await shard0.GetDatabase("app").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
            var onShard1 = await shard1.GetDatabase("app").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
            var map = (await admin.RunCommandAsync<BsonDocument>(new BsonDocument("getShardMap", 1)))["map"].AsBsonDocument;
            var shards = (await admin.RunCommandAsync<BsonDocument>(new BsonDocument("listShards", 1)))["shards"].AsBsonArray
                .Select(s => (s["_id"].AsString, s["host"].AsString)).ToList();
            var hello = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));
            var emulators = session.Cluster.ShardedReplicaSetsOf("demo", "mg-sh");
            var log = session.Cluster.Log.Recent.ToList();
            var refused = await Assert.ThrowsAsync<MongoCommandException>(() =>
                anonymous.GetDatabase("app").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));

            // Workloads: one PetSet per component (a v1 MongoDB), none named after the database itself.
            Assert.Equal(Workloads, petSets.Keys.Order());
            Assert.Null(session.Get("/apis/apps/v1/namespaces/demo/statefulsets/mg-sh-shard0"));
            Assert.Equal(new[] { 1, 1, 1, 1 }, Workloads.Select(w => petSets[w]["status"]?["readyReplicas"]?.GetValue<int>() ?? 0));
            Assert.Equal(Workloads.Select(w => $"{w}-pods"), Workloads.Select(w => Text(petSets[w]["spec"]?["serviceName"])));
            Assert.Equal("mg-sh-shard1", Text(petSets["mg-sh-shard1"]["spec"]?["selector"]?["matchLabels"]?["mongodb.kubedb.com/node.shard"]));
            Assert.Equal("mg-sh-configsvr", Text(petSets["mg-sh-configsvr"]["metadata"]?["labels"]?["mongodb.kubedb.com/node.config"]));
            Assert.Equal("mg-sh-mongos", Text(petSets["mg-sh-mongos"]["spec"]?["selector"]?["matchLabels"]?["mongodb.kubedb.com/node.mongos"]));
            Assert.Null(petSets["mg-sh-mongos"]["spec"]?["volumeClaimTemplates"]);
            // The routers' workload is made after every member is up and ready, as KubeDB makes it.
            var routersMade = log.FindIndex(l => l.Contains("kubedb: created PetSet demo/mg-sh-mongos", StringComparison.Ordinal));
            Assert.All(new[] { "mg-sh-configsvr", "mg-sh-shard0", "mg-sh-shard1" }, w =>
                Assert.InRange(log.FindIndex(l => l.Contains($"kubedb: demo/{w}: member 0 up", StringComparison.Ordinal)), 0, routersMade - 1));
            Assert.Contains("--replSet=shard1", Args(petSets["mg-sh-shard1"]));
            Assert.Contains("--shardsvr", Args(petSets["mg-sh-shard1"]));
            Assert.Contains("--replSet=cnfRepSet", Args(petSets["mg-sh-configsvr"]));
            Assert.Contains("--configsvr", Args(petSets["mg-sh-configsvr"]));
            Assert.Equal(new[] { "datadir-mg-sh-configsvr-0", "datadir-mg-sh-shard0-0", "datadir-mg-sh-shard1-0" },
                (await session.ListAsync("demo", "pvc")).Select(c => Text(c["metadata"]?["name"])).Order());

            // Services: the primary one selects the routers (no role), a headless governing one per component, no {db}-pods.
            Assert.Equal(Workloads.Select(w => $"{w}-pods").Prepend("mg-sh"), services.Keys.Order());
            Assert.Equal(new Dictionary<string, string>
            {
                ["app.kubernetes.io/name"] = "mongodbs.kubedb.com",
                ["app.kubernetes.io/instance"] = "mg-sh",
                ["app.kubernetes.io/managed-by"] = "kubedb.com",
                ["mongodb.kubedb.com/node.mongos"] = "mg-sh-mongos",
            }, Map(services["mg-sh"]["spec"]?["selector"]));
            Assert.Equal(("primary", 27017, "db"), Port(services["mg-sh"]));
            Assert.NotEqual("None", Text(services["mg-sh"]["spec"]?["clusterIP"]));
            Assert.All(Workloads, w => Assert.Equal("None", Text(services[$"{w}-pods"]["spec"]?["clusterIP"])));
            Assert.All(Workloads, w => Assert.Equal(("db", 27017, "db"), Port(services[$"{w}-pods"])));
            Assert.Equal("mg-sh-shard0", Text(services["mg-sh-shard0-pods"]["spec"]?["selector"]?["mongodb.kubedb.com/node.shard"]));
            Assert.Equal("mg-sh-shard1", Text(services["mg-sh-shard1-pods"]["spec"]?["selector"]?["mongodb.kubedb.com/node.shard"]));
            Assert.Equal("mg-sh-configsvr", Text(services["mg-sh-configsvr-pods"]["spec"]?["selector"]?["mongodb.kubedb.com/node.config"]));
            Assert.Equal("mg-sh-mongos", Text(services["mg-sh-mongos-pods"]["spec"]?["selector"]?["mongodb.kubedb.com/node.mongos"]));

            // Pods: one per workload, each with its component's label, and a role on the replica sets' members only.
            Assert.Equal(Workloads.Select(w => $"{w}-0"), pods.Keys.Order());
            Assert.All(pods.Values, p =>
            {
                Assert.True(Ready(p));
                Assert.Equal("database", Text(p["metadata"]?["labels"]?["app.kubernetes.io/component"]));
                Assert.Equal("mg-sh", Text(p["metadata"]?["labels"]?["app.kubernetes.io/instance"]));
            });
            Assert.Equal("mg-sh-shard0", Text(pods["mg-sh-shard0-0"]["metadata"]?["labels"]?["mongodb.kubedb.com/node.shard"]));
            Assert.Equal("mg-sh-shard1", Text(pods["mg-sh-shard1-0"]["metadata"]?["labels"]?["mongodb.kubedb.com/node.shard"]));
            Assert.Equal("mg-sh-configsvr", Text(pods["mg-sh-configsvr-0"]["metadata"]?["labels"]?["mongodb.kubedb.com/node.config"]));
            Assert.Equal("mg-sh-mongos", Text(pods["mg-sh-mongos-0"]["metadata"]?["labels"]?["mongodb.kubedb.com/node.mongos"]));
            Assert.Equal(new[] { "primary", "primary", "primary", "" },
                new[] { "mg-sh-configsvr-0", "mg-sh-shard0-0", "mg-sh-shard1-0", "mg-sh-mongos-0" }.Select(p => Text(pods[p]["metadata"]?["labels"]?["kubedb.com/role"])));

            // The database: a router behind the primary Service, wanting the auth secret's credentials as the members do, the
            // documents read back whole and spread on both shards.
            Assert.Equal("isdbgrid", hello["msg"].AsString);
            Assert.Equal(13, refused.Code);
            Assert.Equal(Enumerable.Range(0, 100), read.Select(d => d["_id"].AsInt32));
            Assert.True(onShard0 > 0, $"shard0 holds {onShard0} documents");
            Assert.True(onShard1 > 0, $"shard1 holds {onShard1} documents");
            Assert.Equal(100, onShard0 + onShard1);

            // The shards and the config server as KubeDB registers them: replica set names and its pods' DNS names.
            Assert.Equal(new[] { ("shard0", "shard0/mg-sh-shard0-0.mg-sh-shard0-pods.demo.svc:27017"), ("shard1", "shard1/mg-sh-shard1-0.mg-sh-shard1-pods.demo.svc:27017") }, shards);
            Assert.Equal("shard0/mg-sh-shard0-0.mg-sh-shard0-pods.demo.svc:27017", map["shard0"].AsString);
            Assert.Equal("cnfRepSet/mg-sh-configsvr-0.mg-sh-configsvr-pods.demo.svc:27017", map["config"].AsString);
            Assert.Equal(new[] { "mg-sh-configsvr", "mg-sh-shard0", "mg-sh-shard1" }, emulators.Keys.Order());
            Assert.All(emulators.Values, e => Assert.Equal(0, e?.PrimaryIndex));
            Assert.Empty(session.Cluster.ShardedReplicaSetsOf("demo", "other"));
        }
        finally
        {
            ClusterSession.Dispose(router);
            ClusterSession.Dispose(anonymous);
            ClusterSession.Dispose(shard0);
            ClusterSession.Dispose(shard1);
        }
    }

    [Fact]
    public async Task A_v1alpha2_sharded_MongoDB_runs_in_StatefulSets_with_a_three_member_shard_and_two_routers_behind_its_primary_Service()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: mg-sh, namespace: demo}
            spec:
              version: "7.0.21"
              shardTopology:
                shard: {shards: 1, replicas: 3, storage: {resources: {requests: {storage: 1Gi}}}}
                configServer: {replicas: 1, storage: {resources: {requests: {storage: 1Gi}}}}
                mongos: {replicas: 2}
            """);

        await session.WaitForPhaseAsync("demo", "mg-sh", "Ready");
        var sets = (await session.ListAsync("demo", "statefulsets")).ToDictionary(s => Text(s["metadata"]?["name"]));
        var pods = (await session.ListAsync("demo", "pods")).ToDictionary(p => Text(p["metadata"]?["name"]));
        var password = session.SecretValue("demo", "mg-sh-auth", "password");
        var router = Client($"mongodb://root:{password}@mg-sh-mongos-1.mg-sh-mongos-pods.demo.svc:27017/?directConnection=true&authSource=admin");
        try
        {
            var shards = (await router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("listShards", 1)))["shards"].AsBsonArray;

            Assert.Equal(new[] { "mg-sh-configsvr", "mg-sh-mongos", "mg-sh-shard0" }, sets.Keys.Order());
            Assert.Empty(await session.ListAsync("demo", "petsets"));
            Assert.Equal(new[] { 1, 2, 3 }, sets.Keys.Order().Select(w => sets[w]["status"]?["readyReplicas"]?.GetValue<int>() ?? 0));
            Assert.Equal(new[] { "mg-sh-configsvr-0", "mg-sh-mongos-0", "mg-sh-mongos-1", "mg-sh-shard0-0", "mg-sh-shard0-1", "mg-sh-shard0-2" }, pods.Keys.Order());
            Assert.All(pods.Values, p => Assert.True(Ready(p)));
            Assert.Equal(new[] { "primary", "standby", "standby" },
                new[] { "mg-sh-shard0-0", "mg-sh-shard0-1", "mg-sh-shard0-2" }.Select(p => Text(pods[p]["metadata"]?["labels"]?["kubedb.com/role"])));
            Assert.Equal("shard0/" + string.Join(',', Enumerable.Range(0, 3).Select(i => $"mg-sh-shard0-{i}.mg-sh-shard0-pods.demo.svc:27017")),
                Assert.Single(shards)["host"].AsString);
        }
        finally
        {
            ClusterSession.Dispose(router);
        }
    }

    [Fact]
    public async Task Deleting_a_sharded_MongoDB_takes_its_objects_away_and_stops_its_routers_and_members()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg-sh, namespace: demo}
            spec:
              version: "7.0.21"
              shardTopology:
                shard: {shards: 1, replicas: 1}
                configServer: {replicas: 1}
                mongos: {replicas: 1}
            """);
        await session.WaitForPhaseAsync("demo", "mg-sh", "Ready");
        var addresses = (await session.ListAsync("demo", "pods")).Select(p => new IPEndPoint(IPAddress.Parse(Text(p["status"]?["podIP"])), 27017)).ToList();

        (await session.Kubectl.RunAsync("delete", "mongodb", "mg-sh", "-n", "demo")).Succeeded();
        await session.WaitUntilAsync(() => session.Cluster.Log.Recent.Any(l => l.Contains("demo/mg-sh: database gone, sharded cluster removed", StringComparison.Ordinal)),
            "the sharded cluster of mg-sh removed");

        Assert.Equal(3, addresses.Count);
        Assert.Empty(await session.ListAsync("demo", "pods"));
        Assert.Empty(await session.ListAsync("demo", "petsets"));
        Assert.Empty(await session.ListAsync("demo", "services"));
        foreach (var address in addresses)
        {
            var refused = await Assert.ThrowsAsync<SocketException>(async () =>
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(address);
            });
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
    }

    [Fact]
    public async Task A_standalone_MongoDB_gets_an_Unsupported_warning_and_nothing_else()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: kubedb.com/v1
            kind: MongoDB
            metadata: {name: mg-one, namespace: demo}
            spec:
              version: "7.0.21"
              storage: {resources: {requests: {storage: 1Gi}}}
            """);

        await session.WaitUntilAsync(() => Warnings(session, "mg-one").Contains("Unsupported"), "an Unsupported warning on mg-one");

        Assert.Empty(await session.ListAsync("demo", "services"));
        Assert.Empty(await session.ListAsync("demo", "petsets"));
        Assert.Null(session.Get("/api/v1/namespaces/demo/secrets/mg-one-auth"));
        Assert.Equal("", Text(session.Get("/apis/kubedb.com/v1/namespaces/demo/mongodbs/mg-one")?["status"]?["phase"]));
    }

    private static List<string> Args(JsonObject workload) =>
        [.. (workload["spec"]?["template"]?["spec"]?["containers"]?[0]?["args"] as JsonArray ?? []).Select(Text)];

    private static Dictionary<string, string> Map(JsonNode? node) =>
        (node as JsonObject ?? []).ToDictionary(p => p.Key, p => Text(p.Value));

    private static (string Name, int Port, string Target) Port(JsonObject service) =>
        service["spec"]?["ports"]?[0] is { } port ? (Text(port["name"]), port["port"]?.GetValue<int>() ?? 0, Text(port["targetPort"])) : ("", 0, "");

    private static List<string> Warnings(ClusterSession session, string name) =>
        [.. session.Cluster.Api.List("/api/v1/namespaces/demo/events")
            .Where(e => Text(e["involvedObject"]?["name"]) == name && Text(e["type"]) == "Warning").Select(e => Text(e["reason"]))];
}
