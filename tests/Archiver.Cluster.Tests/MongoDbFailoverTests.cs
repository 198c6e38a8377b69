using System.Net;
using System.Net.Sockets;
using MongoDB.Bson;
using MongoDB.Driver;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// <c>kubectl delete pod</c> of the primary: its member stops (its address refuses connections), the others elect a
/// new primary, a driver connected by the pods' names keeps writing, and the StatefulSet's new pod rejoins as a standby.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MongoDbFailoverTests
{
    [Fact]
    public async Task Deleting_the_primarys_pod_elects_another_while_the_driver_keeps_writing_and_the_pod_comes_back_as_a_standby()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync(MongoDbProvisioningTests.MongoDB("kubedb.com/v1alpha2", "mg-rs"));
        await session.WaitForPhaseAsync("demo", "mg-rs", "Ready");
        var password = session.SecretValue("demo", "mg-rs-auth", "password");
        var client = Client($"mongodb://root:{password}@mg-rs-0.mg-rs-pods.demo.svc:27017,mg-rs-1.mg-rs-pods.demo.svc:27017,mg-rs-2.mg-rs-pods.demo.svc:27017/?replicaSet=rs0&authSource=admin");
        try
        {
            var collection = client.GetDatabase("app").GetCollection<BsonDocument>("c");
            await collection.InsertOneAsync(new BsonDocument("_id", -1));
            var primary = (await session.ListAsync("demo", "pods")).Single(p => Text(p["metadata"]?["labels"]?["kubedb.com/role"]) == "primary");
            var name = Text(primary["metadata"]?["name"]);
            var oldAddress = IPAddress.Parse(Text(primary["status"]?["podIP"]));
            var replicaSet = session.Cluster.ReplicaSetOf("demo", "mg-rs")!;
            var oldPrimary = replicaSet.PrimaryIndex;
            var term = replicaSet.Term;

            using var stopWriting = new CancellationTokenSource();
            var written = 0;
            var writer = Task.Run(async () =>
            {
                while (!stopWriting.IsCancellationRequested)
                {
                    await collection.InsertOneAsync(new BsonDocument("_id", Volatile.Read(ref written)));
                    Interlocked.Increment(ref written);
                }
            });
            (await session.Kubectl.RunAsync("delete", "pod", name, "-n", "demo")).Succeeded();
            var back = await session.WaitForAsync($"/api/v1/namespaces/demo/pods/{name}", p =>
                Text(p?["metadata"]?["uid"]) is { Length: > 0 } uid && uid != Text(primary["metadata"]?["uid"]) && Ready(p)
                && Text(p?["metadata"]?["labels"]?["kubedb.com/role"]) == "standby");
            // Writes go on through the election and after the pod is back.
            var before = Volatile.Read(ref written);
            await session.WaitUntilAsync(() => Volatile.Read(ref written) > before + 10, "the writer goes on after the pod is back");
            await stopWriting.CancelAsync();
            await writer;
            var refused = await Assert.ThrowsAsync<SocketException>(async () =>
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(new IPEndPoint(oldAddress, 27017));
            });
            var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));

            Assert.NotEqual(oldPrimary, replicaSet.PrimaryIndex);
            Assert.True(replicaSet.Term > term);
            Assert.True(replicaSet.IsMemberUp(oldPrimary));
            Assert.NotEqual(oldAddress.ToString(), Text(back!["status"]?["podIP"]));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            Assert.Equal($"mg-rs-{replicaSet.PrimaryIndex}.mg-rs-pods.demo.svc:27017", hello["primary"].AsString);
            Assert.Equal(written + 1, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
            await session.WaitForPhaseAsync("demo", "mg-rs", "Ready");
        }
        finally
        {
            ClusterSession.Dispose(client);
        }
    }
}
