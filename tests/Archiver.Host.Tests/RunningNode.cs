using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using MongoDB.Bson;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using MongoDB.Driver;

namespace Archiver.Host.Tests;

/// <summary>
/// One embedded node with the demo's examples applied over an emulated replica set that holds a little data and
/// one full backup, shared by the command tests (each test reads it or adds its own names).
/// </summary>
public sealed class RunningNode : IAsyncLifetime
{
    public static readonly ResourceId Database = new("demo", "mg-rs");

    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-node-test-").FullName;
    private MongoEmulator? _mongo;

    public ArchiverNodeHost Node { get; private set; } = null!;

    public string Address => Node.Address.ToString();

    public string ExamplesFolder => Path.Combine(_folder, "manifests");

    /// <summary>When the full backup finished: the earliest recoverable point is after this.</summary>
    public DateTimeOffset BackedUpAt { get; private set; }

    public async Task InitializeAsync()
    {
        _mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        Node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = _folder, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error);
        Node.Secrets.Write(new ResourceId("demo", "mg-rs-connection"), MongoConnections.UriKey, _mongo.ConnectionString);
        Directory.CreateDirectory(ExamplesFolder);
        foreach (var name in new[] { "storage.yaml", "archiver.yaml", "mongodb.yaml" })
        {
            var text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", name));
            var path = Path.Combine(ExamplesFolder, name);
            await File.WriteAllTextAsync(path, text
                .Replace("/var/lib/archiver/backups", Path.Combine(_folder, "backups"), StringComparison.Ordinal)
                // The window is awaited past a moment (BackedUpAt) that no write may follow: the next no-op's upload proves it, soon here.
                .Replace("idleFlushInterval: 5m", "idleFlushInterval: 1s", StringComparison.Ordinal));
            var applied = await CliRun.RunAsync("apply", "-f", path, "--node", Address);
            Assert.True(applied.ExitCode == 0, applied.ToString());
        }

        await WaitAsync(async () => (await Node.Store.GetAsync<MongoDBResource>(Database))?.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving);
        var client = new MongoClient(_mongo.ConnectionString);
        try
        {
            await client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 50).Select(i => new BsonDocument("_id", i)));
            var backup = await CliRun.RunAsync("backup", Database.ToString(), "--node", Address);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            BackedUpAt = DateTimeOffset.UtcNow;
            await client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertOneAsync(new BsonDocument("_id", "after"));
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }

        await WaitAsync(async () => (await Node.Store.GetAsync<MongoDBResource>(Database))?.Status?.Archiver?.RecoverableWindows is { Count: > 0 } w && w[^1].End > BackedUpAt);
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        if (_mongo is not null) await _mongo.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the node did not get there within 30 s");
            await Task.Delay(100);
        }
    }
}
