using System.Globalization;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Cli;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// Disaster recovery under the same name, as a KubeDB user does it on the embedded node: the broken database is
/// deleted, created again under its name with <c>spec.init.archiver</c> pointing before the damage, and carries on.
/// The restored database must be archived on its own timeline from its restore target on, its backups must work,
/// and every later restore must come from the right lineage.
/// </summary>
public sealed class DisasterRecoveryTests : IAsyncLifetime
{
    private static readonly ResourceId Source = new("demo", "src");
    private const string Shop = "shop";

    private readonly string _data = Directory.CreateTempSubdirectory("archiver-dr-").FullName;
    private readonly List<MongoEmulator> _replicaSets = [];
    private ArchiverNodeHost _node = null!;

    public async Task InitializeAsync()
    {
        _node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = _data, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error);
        foreach (var name in new[] { "storage.yaml", "archiver.yaml" })
        {
            var text = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", name)))
                .Replace("/var/lib/archiver/backups", Path.Combine(_data, "backups"), StringComparison.Ordinal);
            await ApplyAsync(text);
        }
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        foreach (var replicaSet in _replicaSets) await replicaSet.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_database_deleted_and_restored_under_its_name_is_archived_on_its_own_timeline_and_every_restore_comes_from_the_right_lineage()
    {
        // The first database, on replica set rs0: archived, backed up, written to in two rounds, the second one the damage.
        var old = await ReplicaSetAsync("rs0", "src-old");
        await ApplyAsync(Database("src-old", "rs0"));
        var first = await WaitForAsync(Source, db => db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving);
        await WriteAsync(old, "seed", 200);
        await CliOkAsync("backup", Source.ToString());
        await WriteAsync(old, "before", 50);
        var beforeBranch = Now();
        var atBeforeBranch = await ReadAsync(old);
        await WriteAsync(old, "round1", 50);
        var branch = Now();
        var atBranch = await ReadAsync(old);
        await WriteAsync(old, "damage", 80, deleteEvery: 3);
        await WaitArchivedAsync(Source, await LastWriteAsync(old));

        // Delete it. Its replica set lives on (another team's, or not yet torn down) and is written to.
        await CliOkAsync("delete", "mongodb", Source.ToString());
        var deletedAt = Now();
        await WriteAsync(old, "ghost", 40);

        // The same name again, restored to the moment before the damage, as the design writes it (no prefix given).
        var restored = await ReplicaSetAsync("rs1", "src-new");
        await ApplyAsync(Database("src-new", "rs1", recoveryTimeStamp: branch));
        var second = await WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        Same(atBranch, await ReadAsync(restored));

        // It carries on, is backed up, and carries on again.
        await WriteAsync(restored, "after", 60);
        var afterRestore = Now();
        var atAfterRestore = await ReadAsync(restored);
        await WriteAsync(restored, "more", 40, deleteEvery: 4);
        await CliOkAsync("backup", Source.ToString());
        await WriteAsync(restored, "latest", 30);
        var afterOwnBackup = Now();
        var atAfterOwnBackup = await ReadAsync(restored);
        await WriteAsync(restored, "tail", 10);
        await WaitArchivedAsync(Source, await LastWriteAsync(restored));

        // Two timelines, side by side: the old database's and the restored one's, branched at the restore target.
        var windows = await CliOkAsync("windows", Source.ToString());
        Assert.Matches(@"timeline 1\s", windows.Output);
        Assert.Matches(@"timeline 2\s", windows.Output);
        Assert.Contains("restored from", windows.Output, StringComparison.Ordinal);
        var catalog = await CatalogAsync();
        var own = catalog.OwnedBy(second.Metadata.Uid)!;
        Assert.Equal((2u, 1u), (own.Timeline, own.Record!.Parent!.Value));
        Assert.Equal(["rs1"], own.Components.Keys);

        // Nothing the old replica set wrote after its database was deleted reached the repository.
        Assert.True(catalog.Timeline(1).Component("rs0").LastWallUnixMs <= deletedAt.ToUnixTimeMilliseconds(), "the deleted database's stream went on");

        // The plan says which timeline a target falls on.
        Assert.Contains("timeline 2", (await CliOkAsync("plan", Source.ToString(), "--at", Format(afterRestore))).Output, StringComparison.Ordinal);
        Assert.Contains("timeline 1", (await CliOkAsync("plan", Source.ToString(), "--at", Format(beforeBranch))).Output, StringComparison.Ordinal);

        // After the branch, before the restored database's own backup: the old backup, the old oplog up to the branch, the new oplog.
        Same(atAfterRestore, await RestoreAsync("check-1", "rs2", afterRestore));
        // After its own backup.
        Same(atAfterOwnBackup, await RestoreAsync("check-2", "rs3", afterOwnBackup));
        // Before the branch: the old lineage, and never anything of the new one.
        Same(atBeforeBranch, await RestoreAsync("check-3", "rs4", beforeBranch));

        // Its status is about its own replica set and its own lineage.
        var status = (await _node.Store.GetAsync<MongoDBResource>(Source))!.Status!.Archiver!;
        Assert.Equal(DatabaseArchiverPhase.Archiving, status.Phase);
        // Reported by its own archiver (the headroom of a young oplog written in bursts may well look low: not the point here).
        Assert.Contains(status.Conditions!, c => c.Type == "Archiving" && c.Reason is "Healthy" or "HeadroomLow" or "LagTooHigh");
        Assert.NotNull(status.Lag);
        Assert.All(status.RecoverableWindows!, w => Assert.Equal("rs1", w.Component));
        Assert.True(status.RecoverableWindows!.Min(w => w.Start) < beforeBranch, "the lineage's windows start at the old database's backup");
        Assert.True(status.RecoverableWindows!.Max(w => w.End) >= afterOwnBackup);
    }

    [Fact]
    public async Task A_database_created_again_under_a_deleted_ones_name_without_a_restore_is_blocked_not_archived_into_the_old_history()
    {
        var old = await ReplicaSetAsync("rs0", "src-old");
        await ApplyAsync(Database("src-old", "rs0"));
        var first = await WaitForAsync(Source, db => db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving);
        await WriteAsync(old, "seed", 20);
        await WaitArchivedOplogAsync(await LastWriteAsync(old));
        await CliOkAsync("delete", "mongodb", Source.ToString());

        var other = await ReplicaSetAsync("rs1", "src-new");
        await ApplyAsync(Database("src-new", "rs1"));
        await WriteAsync(other, "new", 20);
        var blocked = await WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Blocked);

        var condition = blocked.Status!.Archiver!.Conditions!.Single(c => c.Type == "Archiving");
        Assert.Equal((ConditionStatus.False, "ForeignHistory"), (condition.Status, condition.Reason));
        Assert.Contains($"already holds the history of database {first.Metadata.Uid}", condition.Message, StringComparison.Ordinal);
        Assert.Contains("spec.init.archiver", condition.Message, StringComparison.Ordinal);
        var catalog = await CatalogAsync();
        Assert.Equal([1u], catalog.Timelines.Select(t => t.Timeline));
        Assert.Equal(["rs0"], catalog.Timeline(1).Components.Keys);
    }

    [Fact]
    public async Task After_an_archiver_is_deleted_with_WipeOut_neither_the_status_nor_archiver_windows_offer_a_window()
    {
        var archiver = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", "archiver.yaml")))
            .Replace("  deletionPolicy: Delete", "  deletionPolicy: WipeOut", StringComparison.Ordinal);
        Assert.Contains("deletionPolicy: WipeOut", archiver, StringComparison.Ordinal);
        await ApplyAsync(archiver);
        var source = await ReplicaSetAsync("rs0", "src-old");
        await ApplyAsync(Database("src-old", "rs0"));
        await WaitForAsync(Source, db => db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving);
        await WriteAsync(source, "seed", 20);
        await CliOkAsync("backup", Source.ToString());
        await WaitArchivedAsync(Source, await LastWriteAsync(source));
        Assert.NotEmpty((await CliOkAsync("windows", Source.ToString())).Output);

        await CliOkAsync("delete", "mongodbarchiver", "demo/archiver-demo");
        await WaitUntilAsync(async () => await _node.Store.GetAsync<MongoDBArchiver>(new ResourceId("demo", "archiver-demo")) is null);

        var folder = Path.Combine(_data, "backups", "db", "MongoDB", Source.Namespace, Source.Name);
        Assert.Empty(Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : []);
        var status = (await _node.Store.GetAsync<MongoDBResource>(Source))!.Status!.Archiver!;
        Assert.Equal(DatabaseArchiverPhase.Disabled, status.Phase);
        Assert.Empty(status.RecoverableWindows ?? []);
        var windows = await CliRun.RunAsync("windows", Source.ToString(), "--node", _node.Address.ToString());
        Assert.NotEqual(0, windows.ExitCode);
        Assert.Contains("no archived history", windows.Error, StringComparison.Ordinal);
    }

    private async Task<DemoWorkload.Contents> RestoreAsync(string name, string replicaSetName, DateTimeOffset at)
    {
        var target = await ReplicaSetAsync(replicaSetName, name);
        var run = await CliOkAsync("restore", Source.ToString(), "--at", Format(at), "--into", $"demo/{name}", "--connection-secret", name, "--timeout", "60");
        Assert.Contains($"restored demo/{name}", run.Output, StringComparison.Ordinal);
        return await ReadAsync(target);
    }

    private async Task<RepositoryCatalog> CatalogAsync() =>
        await RepositoryCatalog.LoadAsync(new LocalFolderStore(Path.Combine(_data, "backups")), RepositoryLayout.ForDatabase("MongoDB", Source.Namespace, Source.Name));

    private async Task<IMongoClient> ReplicaSetAsync(string name, string secret)
    {
        var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { ReplicaSetName = name });
        _replicaSets.Add(emulator);
        _node.Secrets.Write(new ResourceId("demo", secret), MongoConnections.UriKey, emulator.ConnectionString);
        return new MongoClient(emulator.ConnectionString);
    }

    private static string Database(string secret, string replicaSet, DateTimeOffset? recoveryTimeStamp = null) => $"""
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

    private static async Task WriteAsync(IMongoClient client, string round, int count, int deleteEvery = 0)
    {
        var orders = client.GetDatabase(Shop).GetCollection<BsonDocument>("orders");
        await orders.InsertManyAsync(Enumerable.Range(0, count).Select(i => new BsonDocument { { "_id", $"{round}-{i}" }, { "round", round }, { "n", i } }));
        await client.GetDatabase(Shop).GetCollection<BsonDocument>("customers")
            .UpdateManyAsync(FilterDefinition<BsonDocument>.Empty, new BsonDocument("$set", new BsonDocument("lastRound", round)));
        await client.GetDatabase(Shop).GetCollection<BsonDocument>("customers").InsertOneAsync(new BsonDocument { { "_id", $"c-{round}" }, { "lastRound", round } });
        if (deleteEvery > 0) await orders.DeleteManyAsync(new BsonDocument("_id", new BsonDocument("$in", new BsonArray(Enumerable.Range(0, count).Where(i => i % deleteEvery == 0).Select(i => $"{round}-{i}")))));
        await Task.Delay(20);
    }

    private static void Same(DemoWorkload.Contents expected, DemoWorkload.Contents actual) =>
        Assert.Equal((expected.Documents, expected.Sha256, string.Join(",", expected.Collections)), (actual.Documents, actual.Sha256, string.Join(",", actual.Collections)));

    private static Task<DemoWorkload.Contents> ReadAsync(IMongoClient client) => DemoWorkload.ReadAsync(client, Shop, CancellationToken.None);

    private static async Task<DateTimeOffset> LastWriteAsync(IMongoClient client)
    {
        var last = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync();
        return new DateTimeOffset(last["wall"].ToUniversalTime());
    }

    private async Task WaitArchivedAsync(ResourceId database, DateTimeOffset lastWrite) =>
        await WaitForAsync(database, db => db.Status?.Archiver?.RecoverableWindows is { Count: > 0 } w && w.Max(x => x.End) >= lastWrite);

    private async Task WaitArchivedOplogAsync(DateTimeOffset lastWrite) =>
        await WaitUntilAsync(async () => (await CatalogAsync()).Timelines.Any(t => t.Components.Values.Any(c => c.LastWallUnixMs >= lastWrite.ToUnixTimeMilliseconds())));

    private static async Task WaitUntilAsync(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("not within 30 s");
            await Task.Delay(100);
        }
    }

    private async Task<MongoDBResource> WaitForAsync(ResourceId id, Func<MongoDBResource, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var db = await _node.Store.GetAsync<MongoDBResource>(id);
            if (db is not null && done(db)) return db;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{id} did not get there: {(db is null ? "absent" : Messages.Manifests.ManifestWriter.ToYaml(db))}");
            await Task.Delay(100);
        }
    }

    private async Task ApplyAsync(string yaml)
    {
        var path = Path.Combine(_data, $"manifest-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, yaml);
        await CliOkAsync("apply", "-f", path);
    }

    private async Task<CliRun> CliOkAsync(params string[] args)
    {
        var run = await CliRun.RunAsync([.. args, "--node", _node.Address.ToString()]);
        Assert.True(run.ExitCode == 0, $"archiver {string.Join(' ', args)}: {run}");
        return run;
    }

    // Walls are whole milliseconds: a target taken a little after the last write, and the next write a little later.
    private static DateTimeOffset Now()
    {
        Thread.Sleep(15);
        var now = DateTimeOffset.UtcNow;
        Thread.Sleep(15);
        return now;
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
