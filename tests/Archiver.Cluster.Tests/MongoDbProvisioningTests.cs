using System.Text.Json.Nodes;
using MongoDB.Bson;
using MongoDB.Driver;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// KubeDB's MongoDB on the cluster stand-in, driven by kubectl as a user would: the objects KubeDB makes, three pods as
/// replica-set members at addresses of their own, reachable from outside any pod by their cluster DNS names with the
/// auth secret's credentials, and the phase KubeDB's rules give.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MongoDbProvisioningTests
{
    [Fact]
    public async Task A_v1alpha2_MongoDB_gets_its_secret_services_StatefulSet_and_three_ready_pods_reachable_by_their_DNS_names()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync(MongoDB("kubedb.com/v1alpha2", "mg-rs"));

        await session.WaitForPhaseAsync("demo", "mg-rs", "Ready");
        var pods = await session.ListAsync("demo", "pods");
        var services = (await session.ListAsync("demo", "services")).ToDictionary(s => Text(s["metadata"]?["name"]));
        var set = session.Get("/apis/apps/v1/namespaces/demo/statefulsets/mg-rs");
        var password = session.SecretValue("demo", "mg-rs-auth", "password");
        var hosts = Enumerable.Range(0, 3).Select(i => $"mg-rs-{i}.mg-rs-pods.demo.svc:27017").ToList();
        var client = Client($"mongodb://root:{password}@{string.Join(',', hosts)}/?replicaSet=rs0&authSource=admin");
        try
        {
            var collection = client.GetDatabase("app").GetCollection<BsonDocument>("c");
            await collection.InsertOneAsync(new BsonDocument("_id", 1));
            var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));

            Assert.Equal("root", session.SecretValue("demo", "mg-rs-auth", "username"));
            Assert.Equal(16, password.Length);
            Assert.Equal("None", Text(services["mg-rs-pods"]["spec"]?["clusterIP"]));
            Assert.Equal("primary", Text(services["mg-rs"]["spec"]?["selector"]?["kubedb.com/role"]));
            Assert.Equal("mg-rs-pods", Text(set?["spec"]?["serviceName"]));
            Assert.Equal(3, set?["status"]?["readyReplicas"]?.GetValue<int>());
            Assert.Null(session.Get("/apis/apps.k8s.appscode.com/v1/namespaces/demo/petsets/mg-rs"));
            Assert.Equal(["mg-rs-0", "mg-rs-1", "mg-rs-2"], pods.Select(p => Text(p["metadata"]?["name"])).Order());
            Assert.All(pods, p =>
            {
                Assert.Equal("Running", Text(p["status"]?["phase"]));
                Assert.True(Ready(p));
                Assert.StartsWith($"127.{session.Cluster.NetworkPrefix}.", Text(p["status"]?["podIP"]), StringComparison.Ordinal);
                Assert.Equal("StatefulSet", Text(p["metadata"]?["ownerReferences"]?[0]?["kind"]));
            });
            Assert.Equal(3, pods.Select(p => Text(p["status"]?["podIP"])).Distinct().Count());
            Assert.Single(pods, p => Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary");
            Assert.Equal(hosts, hello["hosts"].AsBsonArray.Select(h => h.AsString));
            Assert.Equal(1, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            Assert.Equal(["datadir-mg-rs-0", "datadir-mg-rs-1", "datadir-mg-rs-2"],
                (await session.ListAsync("demo", "pvc")).Where(c => Text(c["status"]?["phase"]) == "Bound").Select(c => Text(c["metadata"]?["name"])).Order());
        }
        finally
        {
            ClusterSession.Dispose(client);
        }
    }

    [Fact]
    public async Task A_v1_MongoDB_runs_in_a_PetSet_with_the_auth_secret_it_names_and_its_primary_Service_reaches_the_primary()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync("""
            apiVersion: v1
            kind: Secret
            metadata: {name: my-auth, namespace: demo}
            stringData: {username: root, password: "s3cret:with@odd/chars"}
            """);
        await session.ApplyAsync(MongoDB("kubedb.com/v1", "mg-v1", "  authSecret: {name: my-auth}\n"));

        await session.WaitForPhaseAsync("demo", "mg-v1", "Ready");
        var petSet = session.Get("/apis/apps.k8s.appscode.com/v1/namespaces/demo/petsets/mg-v1");
        var pods = await session.ListAsync("demo", "pods");
        var client = Client($"mongodb://root:{Uri.EscapeDataString("s3cret:with@odd/chars")}@mg-v1.demo.svc:27017/?directConnection=true&authSource=admin");
        try
        {
            var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));

            Assert.NotNull(petSet);
            Assert.Equal(3, petSet["status"]?["readyReplicas"]?.GetValue<int>());
            Assert.Null(session.Get("/apis/apps/v1/namespaces/demo/statefulsets/mg-v1"));
            Assert.Null(session.Get("/api/v1/namespaces/demo/secrets/mg-v1-auth"));
            Assert.All(pods, p => Assert.Equal("PetSet", Text(p["metadata"]?["ownerReferences"]?[0]?["kind"])));
            Assert.True(hello["isWritablePrimary"].AsBoolean);
            Assert.Equal(Text(pods.Single(p => Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary")["metadata"]?["name"]) + ".mg-v1-pods.demo.svc:27017", hello["me"].AsString);
        }
        finally
        {
            ClusterSession.Dispose(client);
        }
    }

    [Fact]
    public async Task A_MongoDB_restored_by_Archiver_is_DataRestoring_until_Archiver_reports_the_restore_and_then_Ready_or_NotReady()
    {
        await using var session = await StartAsync("demo");
        var init = "  init:\n    archiver:\n      recoveryTimestamp: \"2026-01-01T00:00:00Z\"\n      repository: {name: backups, namespace: demo}\n";
        await session.ApplyAsync(MongoDB("kubedb.com/v1", "restored", init));
        await session.ApplyAsync(MongoDB("kubedb.com/v1", "failed", init));

        await session.WaitForPhaseAsync("demo", "restored", "DataRestoring");
        await session.WaitForPhaseAsync("demo", "failed", "DataRestoring");
        // As Archiver writes it (DatabaseActor.Restore): status.archiver through the status subresource.
        (await session.Kubectl.RunAsync("patch", "mongodb", "restored", "-n", "demo", "--subresource=status", "--type=merge", "-p", """{"status":{"archiver":{"phase":"Restored"}}}""")).Succeeded();
        (await session.Kubectl.RunAsync("patch", "mongodb", "failed", "-n", "demo", "--subresource=status", "--type=merge", "-p", """{"status":{"archiver":{"phase":"RestoreFailed"}}}""")).Succeeded();
        var restored = await session.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/restored", m => Text(m?["status"]?["phase"]) == "Ready");
        var failed = await session.WaitForAsync("/apis/kubedb.com/v1/namespaces/demo/mongodbs/failed", m => Text(m?["status"]?["phase"]) == "NotReady");

        Assert.Equal(("True", "SuccessfullyDataRestored"), Condition(restored!, "DataRestored"));
        Assert.Equal(("False", "FailedToRestoreData"), Condition(failed!, "DataRestored"));
        Assert.Equal(("", ""), Condition(restored!, "DataRestoreStarted"));
        Assert.Equal("Restored", Text(restored!["status"]?["archiver"]?["phase"]));
    }

    internal static string MongoDB(string apiVersion, string name, string extraSpec = "") => $"""
        apiVersion: {apiVersion}
        kind: MongoDB
        metadata: {"{"}name: {name}, namespace: demo{"}"}
        spec:
          version: "7.0.21"
          replicas: 3
          replicaSet: {"{"}name: rs0{"}"}
          storage:
            resources: {"{"}requests: {"{"}storage: 1Gi{"}"}{"}"}
        {extraSpec}
        """;

    private static (string Status, string Reason) Condition(JsonObject mongo, string type) =>
        (mongo["status"]?["conditions"] as JsonArray ?? []).FirstOrDefault(c => Text(c?["type"]) == type) is { } c ? (Text(c["status"]), Text(c["reason"])) : ("", "");
}
