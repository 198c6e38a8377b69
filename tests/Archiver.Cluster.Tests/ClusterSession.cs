using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster;
using Archiver.Kubernetes.Tests;
using MongoDB.Driver;

namespace Archiver.Cluster.Tests;

/// <summary>
/// A cluster stand-in for one test, with kubectl as its admin, torn down (every process, the hosts block) however the
/// test ends. Short election timeouts and restart back-offs keep the tests quick; everything else is the stand-in's default.
/// </summary>
internal sealed class ClusterSession : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private ClusterSession(ClusterStandIn cluster)
    {
        Cluster = cluster;
        Kubectl = new Kubectl(cluster.Api);
    }

    public ClusterStandIn Cluster { get; }

    public Kubectl Kubectl { get; }

    public static Task<ClusterSession> StartAsync(params string[] namespaces) => StartAsync(options => options, namespaces);

    /// <summary>A session whose stand-in options the test changes further (e.g. a snapshot readiness delay).</summary>
    public static async Task<ClusterSession> StartAsync(Func<ClusterStandInOptions, ClusterStandInOptions> configure, params string[] namespaces)
    {
        var cluster = await ClusterStandIn.StartAsync(configure(new ClusterStandInOptions
        {
            Namespaces = ["default", .. namespaces],
            ElectionTimeout = TimeSpan.FromSeconds(1),
            RestartBackoff = TimeSpan.FromSeconds(1),
        }));
        return new ClusterSession(cluster);
    }

    public async Task ApplyAsync(string manifest) => (await Kubectl.RunWithInputAsync(manifest, "apply", "-f", "-")).Succeeded();

    public JsonObject? Get(string apiPath) => Cluster.Api.Get(apiPath);

    /// <summary>The repository's root folder (where Archiver.sln is), above the test's.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Archiver.sln"))) return folder.FullName;
        }

        throw new InvalidOperationException("the repository root (Archiver.sln) is not above the test's folder");
    }

    public Task<JsonObject?> WaitForAsync(string apiPath, Func<JsonObject?, bool> condition) => Cluster.WaitForAsync(apiPath, condition, Patience);

    /// <summary>Waits, looking every 100 ms, until <paramref name="condition"/> holds; fails saying <paramref name="what"/> did not happen.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: not within {Patience.TotalSeconds} s\n{string.Join('\n', Cluster.Log.Recent.TakeLast(30))}");
            await Task.Delay(100);
        }
    }

    public Task WaitForPhaseAsync(string ns, string mongodb, string phase) =>
        WaitForAsync($"/apis/kubedb.com/v1/namespaces/{ns}/mongodbs/{mongodb}", m => Text(m?["status"]?["phase"]) == phase);

    /// <summary>Any kind's objects in a namespace, as <c>kubectl get -o json</c> lists them.</summary>
    public async Task<List<JsonObject>> ListAsync(string ns, string kind)
    {
        var list = JsonNode.Parse((await Kubectl.RunAsync("get", kind, "-n", ns, "-o", "json")).Succeeded().Output)!;
        return [.. (list["items"] as JsonArray ?? []).OfType<JsonObject>()];
    }

    /// <summary>A secret's key, decoded.</summary>
    public string SecretValue(string ns, string secret, string key) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(Text(Get($"/api/v1/namespaces/{ns}/secrets/{secret}")?["data"]?[key])));

    public static bool Ready(JsonObject? pod) =>
        (pod?["status"]?["conditions"] as JsonArray ?? []).Any(c => Text(c?["type"]) == "Ready" && Text(c?["status"]) == "True");

    public static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public static MongoClient Client(string uri)
    {
        var settings = MongoClientSettings.FromConnectionString(uri);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(10);
        settings.ConnectTimeout = TimeSpan.FromSeconds(3);
        settings.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        return new MongoClient(settings);
    }

    public static void Dispose(MongoClient client) => ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);

    public async ValueTask DisposeAsync()
    {
        Kubectl.Dispose();
        await Cluster.DisposeAsync();
    }
}
