using System.Globalization;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Cli;
using Archiver.Messages.Protocol;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// What the disaster-recovery tests do to a node, through its API and command line only, so the same steps run
/// against an in-process node and against a node in a child process that a test kills: replica sets (emulators)
/// whose connection secrets are files in the node's folder, the database <c>demo/src</c> as manifests, a workload
/// whose contents are compared by digest, and the repository read straight from the storage folder.
/// </summary>
internal sealed class DisasterRecoveryScenario(string data) : IAsyncDisposable
{
    public static readonly ResourceId Source = new("demo", "src");

    private const string Shop = "shop";
    private readonly List<MongoEmulator> _replicaSets = [];
    private readonly List<MongoClient> _clients = [];
    private readonly HttpClient _http = new();

    public string Data { get; } = data;

    /// <summary>The node's API; a test that restarts the node sets the new one.</summary>
    public Uri Node { get; set; } = null!;

    public static async Task<DisasterRecoveryScenario> StartAsync(string data, Uri node, string archiverText = "")
    {
        var scenario = new DisasterRecoveryScenario(data) { Node = node };
        foreach (var name in new[] { "storage.yaml", "archiver.yaml" })
        {
            var text = name == "archiver.yaml" && archiverText.Length > 0
                ? archiverText
                : (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", name)))
                    .Replace("/var/lib/archiver/backups", Path.Combine(data, "backups"), StringComparison.Ordinal)
                    // A moment taken after the last write is proven archived by the next no-op's upload: soon, here.
                    .Replace("idleFlushInterval: 5m", "idleFlushInterval: 1s", StringComparison.Ordinal);
            await scenario.ApplyAsync(text);
        }

        return scenario;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        foreach (var replicaSet in _replicaSets) await replicaSet.DisposeAsync();
        _http.Dispose();
    }

    /// <summary>A new replica set, and the secret (a file in the node's folder, as the embedded node reads them) naming it.</summary>
    public async Task<IMongoClient> ReplicaSetAsync(string name, string secret)
    {
        var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { ReplicaSetName = name });
        _replicaSets.Add(emulator);
        new SecretFolder(Path.Combine(Data, "secrets")).Write(new ResourceId("demo", secret), MongoConnections.UriKey, emulator.ConnectionString);
        var client = new MongoClient(emulator.ConnectionString);
        _clients.Add(client);
        return client;
    }

    /// <summary>The replica set of that name, made by <see cref="ReplicaSetAsync"/>, for a test to act on the server itself.</summary>
    public MongoEmulator ReplicaSet(string name) => _replicaSets.Single(r => r.ConnectionString.Contains($"replicaSet={name}", StringComparison.Ordinal));

    /// <summary>The first <see cref="Source"/>, on a replica set named rs0, archived (its configuration done).</summary>
    public async Task<(IMongoClient Client, MongoDBResource Database)> FirstDatabaseAsync()
    {
        var client = await ReplicaSetAsync("rs0", "src-old");
        await ApplyAsync(Database("src-old", "rs0"));
        return (client, await WaitForAsync(Source, db => db.Status?.Archiver?.Phase == Messages.Resources.DatabaseArchiverPhase.Archiving));
    }

    public static string Database(string secret, string replicaSet, DateTimeOffset? recoveryTimeStamp = null) => $"""
        apiVersion: kubedb.com/v1alpha2
        kind: MongoDB
        metadata:
          name: {Source.Name}
          namespace: {Source.Namespace}
          labels:
            archiver: "true"
          annotations:
            archiver.kubedb.com/connection-secret: {secret}
        spec:
          version: "7.0.12"
          replicas: 1
          replicaSet:
            name: {replicaSet}
          deletionPolicy: WipeOut
        """ + (recoveryTimeStamp is { } at ? $"""

          init:
            archiver:
              recoveryTimeStamp: "{Format(at)}"
              repository:
                name: local-storage
                namespace: demo
        """ : "");

    /// <summary>A round of inserts, an update of every customer and a new one, and (optionally) some deletes.</summary>
    public static async Task WriteAsync(IMongoClient client, string round, int count, int deleteEvery = 0)
    {
        var orders = client.GetDatabase(Shop).GetCollection<BsonDocument>("orders");
        await orders.InsertManyAsync(Enumerable.Range(0, count).Select(i => new BsonDocument { { "_id", $"{round}-{i}" }, { "round", round }, { "n", i } }));
        var customers = client.GetDatabase(Shop).GetCollection<BsonDocument>("customers");
        await customers.UpdateManyAsync(FilterDefinition<BsonDocument>.Empty, new BsonDocument("$set", new BsonDocument("lastRound", round)));
        await customers.InsertOneAsync(new BsonDocument { { "_id", $"c-{round}" }, { "lastRound", round } });
        if (deleteEvery > 0)
        {
            var doomed = new BsonArray(Enumerable.Range(0, count).Where(i => i % deleteEvery == 0).Select(i => $"{round}-{i}"));
            await orders.DeleteManyAsync(new BsonDocument("_id", new BsonDocument("$in", doomed)));
        }
    }

    public static Task<DemoWorkload.Contents> ReadAsync(IMongoClient client) => DemoWorkload.ReadAsync(client, Shop, CancellationToken.None);

    public static void Same(DemoWorkload.Contents expected, DemoWorkload.Contents actual) =>
        Assert.Equal((expected.Documents, expected.Sha256, string.Join(",", expected.Collections)), (actual.Documents, actual.Sha256, string.Join(",", actual.Collections)));

    public static async Task<DateTimeOffset> LastWriteAsync(IMongoClient client)
    {
        var last = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync();
        return new DateTimeOffset(last["wall"].ToUniversalTime());
    }

    /// <summary>A moment between two writes: walls are whole milliseconds, so it keeps clear of both.</summary>
    public static async Task<DateTimeOffset> MomentAsync()
    {
        await Task.Delay(15);
        var now = DateTimeOffset.UtcNow;
        await Task.Delay(15);
        return now;
    }

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Restores <see cref="Source"/> at <paramref name="at"/> into a new database on a new replica set, and reads it.</summary>
    public async Task<DemoWorkload.Contents> RestoreAsync(string name, string replicaSetName, DateTimeOffset at, ResourceId? from = null)
    {
        var target = await ReplicaSetAsync(replicaSetName, name);
        var run = await CliOkAsync("restore", (from ?? Source).ToString(), "--at", Format(at), "--into", $"demo/{name}", "--connection-secret", name, "--timeout", "60");
        Assert.Contains($"restored demo/{name}", run.Output, StringComparison.Ordinal);
        return await ReadAsync(target);
    }

    public async Task<RepositoryCatalog> CatalogAsync() =>
        await RepositoryCatalog.LoadAsync(new LocalFolderStore(Path.Combine(Data, "backups")), RepositoryLayout.ForDatabase("MongoDB", Source.Namespace, Source.Name));

    public async Task<MongoDBResource?> GetAsync(ResourceId id)
    {
        using var response = await _http.GetAsync(new Uri(Node, $"api/v1/resources/mongodb/{id.Namespace}/{id.Name}"));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return k8s.KubernetesJson.Deserialize<MongoDBResource>(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The plan the database's restore recorded when it started (its entity's state, as the API gives it).</summary>
    public async Task<string?> RecordedPlanAsync(ResourceId id)
    {
        using var response = await _http.GetAsync(new Uri(Node, $"api/v1/databases/{id.Namespace}/{id.Name}/state"));
        response.EnsureSuccessStatusCode();
        using var state = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return state.RootElement.GetProperty("restore").GetProperty("plan").GetProperty("document").GetString();
    }

    public async Task<MongoDBResource> WaitForAsync(ResourceId id, Func<MongoDBResource, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var db = await GetAsync(id);
            if (db is not null && done(db)) return db;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{id} did not get there: {(db is null ? "absent" : Messages.Manifests.ManifestWriter.ToYaml(db))}");
            await Task.Delay(100);
        }
    }

    /// <summary>Until the database's status shows a window reaching <paramref name="lastWrite"/>.</summary>
    public Task WaitArchivedAsync(DateTimeOffset lastWrite) =>
        WaitForAsync(Source, db => db.Status?.Archiver?.RecoverableWindows is { Count: > 0 } w && w.Max(x => x.End) >= lastWrite);

    /// <summary>Until the repository holds an entry at or after <paramref name="lastWrite"/> (for a database with no backup yet).</summary>
    public async Task WaitArchivedOplogAsync(DateTimeOffset lastWrite)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await CatalogAsync()).Timelines.Any(t => t.Components.Values.Any(c => c.LastWallUnixMs >= lastWrite.ToUnixTimeMilliseconds())))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"nothing archived up to {Format(lastWrite)} within 30 s");
            await Task.Delay(100);
        }
    }

    public async Task ApplyAsync(string yaml)
    {
        var path = Path.Combine(Data, $"manifest-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, yaml);
        await CliOkAsync("apply", "-f", path);
    }

    public async Task<CliRun> CliOkAsync(params string[] args)
    {
        var run = await CliAsync(args);
        Assert.True(run.ExitCode == 0, $"archiver {string.Join(' ', args)}: {run}");
        return run;
    }

    public Task<CliRun> CliAsync(params string[] args) => CliRun.RunAsync([.. args, "--node", Node.ToString()]);
}
