using System.Net;
using Archiver.Host.Node;

namespace Archiver.Host.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task Readyz_answers_once_the_node_can_work_and_both_fail_once_the_actor_system_has_stopped_so_the_pod_is_restarted()
    {
        var data = Directory.CreateTempSubdirectory("archiver-health-").FullName;
        try
        {
            await using var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = data, HttpPort = 0 }, Microsoft.Extensions.Logging.LogLevel.Error);
            using var http = new HttpClient { BaseAddress = node.Address };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
            // No false "singleton not found" warning at every start (akkadotnet/akka.net#8568; ClusterTuning).
            Assert.False(node.System.Settings.Config.GetBoolean("akka.cluster.singleton-proxy.log-singleton-identification-failure"));

            // Ready once Up in its (one-node) cluster, its journal answering and its resources listed.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HttpResponseMessage ready;
            while ((ready = await http.GetAsync("readyz")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline) await Task.Delay(200);
            Assert.Equal("ok\n", await ready.Content.ReadAsStringAsync());

            // As the split-brain resolver does to a downed node.
            await node.System.Terminate();
            var notReady = await http.GetAsync("readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal("not ready: the actor system has stopped\n", await notReady.Content.ReadAsStringAsync());
            var response = await http.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("restart this node", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
