using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup.VolumeSnapshots;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>
/// A restore whose base is a volume snapshot: the restored replica set starts from the snapshot's copy of the locked
/// member's data (as its claims are made from the VolumeSnapshot), and the oplog archived meanwhile is replayed from
/// the recorded ts to the target; the result equals the source at the target, with writes going on during the cut.
/// A target not started from the snapshot is refused before anything is written.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class VolumeSnapshotRestoreTests : IAsyncLifetime
{
    private readonly TestRepository _repository = new();
    private SnapshotReplicaSet _set = null!;
    private MongoClient _client = null!;
    private FolderSnapshotter _snapshots = null!;

    public async Task InitializeAsync()
    {
        _set = await SnapshotReplicaSet.StartAsync("vsr");
        (_client, _snapshots) = (_set.Client, _set.Snapshots);
    }

    public async Task DisposeAsync()
    {
        await _set.DisposeAsync();
        _repository.Dispose();
    }

    private IMongoCollection<BsonDocument> Orders => _client.GetDatabase("shop").GetCollection<BsonDocument>("orders");

    [EmulatorOnlyFact]
    public async Task A_restore_from_a_snapshot_base_equals_the_source_at_the_target_with_writes_during_the_cut()
    {
        // Three rounds on one history, each with random writes during its cut and around its target: each target's plan
        // starts from that round's snapshot (the newest full backup before it).
        var random = new Random(20261207);
        await Orders.InsertManyAsync(Enumerable.Range(0, 300).Select(i => new BsonDocument { { "_id", i }, { "qty", i % 7 } }));
        await using var run = new ArchiverRun(_client, _repository);
        for (var round = 1; round <= 3; round++)
        {
            string folder;
            using (var writing = new CancellationTokenSource())
            {
                var writer = Task.Run(() => WriteAsync(new Random(random.Next()), writing.Token));
                var manifest = await Backup($"mg-full-{round}").RunAsync();
                await writing.CancelAsync();
                await writer;
                folder = _snapshots.Of(manifest.VolumeSnapshots[0].Name).Folder;
            }

            await WriteAsync(random, CancellationToken.None, count: 40);
            var expected = await DatabaseContents.ReadAsync(_client, "shop");
            var target = await Oplog.NewestAsync(_client);
            await WriteAsync(random, CancellationToken.None, count: 40);
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_client));

            // The restored replica set, started from the snapshot's copy as its members' claims would be made from it.
            await using var restored = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, ReplicaSetName = "restored", DataDirectories = [CopyOf(folder, round)] });
            var client = TestClients.Create(restored.ConnectionString);
            try
            {
                var report = await new RestoreExecutor(_repository.Store, _repository.Layout, client, new RestoreOptions { BaseInVolumes = true }).RunAsync(RecoveryTarget.AtTs(target));
                Assert.Equal(0, report.DocumentsLoaded);
                Assert.True(report.EntriesReplayed > 0, $"round {round}: nothing was replayed after the snapshot");
                var actual = await DatabaseContents.ReadAsync(client, "shop");
                Assert.True(expected.SameAs(actual), $"round {round}: expected\n{expected.Describe()}\nactual\n{actual.Describe()}");
                Assert.Empty(await RestoreMarker.ListAsync(client));
            }
            finally
            {
                TestClients.Dispose(client);
            }
        }
    }

    /// <summary>A claim of its own made from the snapshot: the snapshot's folder stays as it was.</summary>
    private string CopyOf(string folder, int round)
    {
        var copy = Directory.CreateDirectory(Path.Combine(_set.Root, $"restored-{round}")).FullName;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(copy, Path.GetRelativePath(folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return copy;
    }

    [EmulatorOnlyFact]
    public async Task A_target_not_started_from_the_snapshot_is_refused_before_anything_is_written_and_a_logical_restore_of_it_too()
    {
        await Orders.InsertManyAsync(Enumerable.Range(0, 50).Select(i => new BsonDocument("_id", i)));
        await using (var run = new ArchiverRun(_client, _repository))
        {
            await Backup().RunAsync();
            await Orders.InsertOneAsync(new BsonDocument("_id", "after"));
            await run.WaitArchivedAsync(await Oplog.NewestAsync(_client));
        }

        // Its claims made without the snapshot as their data source: an empty data directory.
        await using var empty = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, ReplicaSetName = "restored" });
        var client = TestClients.Create(empty.ConnectionString);
        try
        {
            var refused = await Assert.ThrowsAsync<RestoreRefusedException>(() =>
                new RestoreExecutor(_repository.Store, _repository.Layout, client, new RestoreOptions { BaseInVolumes = true }).RunAsync(RecoveryTarget.Latest));
            Assert.Contains("was not started from VolumeSnapshot demo/mg-full-1-1", refused.Message);
            Assert.Empty(await RestoreMarker.ListAsync(client));
            Assert.DoesNotContain("shop", await (await client.ListDatabaseNamesAsync()).ToListAsync());

            // Loaded as a dump, a snapshot base would load nothing and replay onto an empty target.
            var logical = await Assert.ThrowsAsync<RestoreRefusedException>(() =>
                new RestoreExecutor(_repository.Store, _repository.Layout, client).RunAsync(RecoveryTarget.Latest));
            Assert.Contains("is a volume snapshot", logical.Message);
            Assert.Empty(await RestoreMarker.ListAsync(client));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    /// <summary>Inserts, updates and deletes, one at a time, until stopped or <paramref name="count"/> are done.</summary>
    private async Task WriteAsync(Random random, CancellationToken stop, int count = int.MaxValue)
    {
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            var id = random.Next(0, 400);
            switch (random.Next(3))
            {
                case 0:
                    await Orders.ReplaceOneAsync(new BsonDocument("_id", id), new BsonDocument { { "_id", id }, { "qty", random.Next(100) } }, new ReplaceOptions { IsUpsert = true });
                    break;
                case 1:
                    await Orders.UpdateOneAsync(new BsonDocument("_id", id), new BsonDocument("$inc", new BsonDocument("qty", 1)));
                    break;
                default:
                    await Orders.DeleteOneAsync(new BsonDocument("_id", id));
                    break;
            }
        }
    }

    private VolumeSnapshotBackup Backup(string name = "mg-full-1-1") => new(_client, Member, _snapshots, new MemoryLockLease("job-pod"), _repository.Store, _repository.Layout, new VolumeSnapshotBackupOptions
    {
        Component = "rs0",
        Timeline = 1,
        Namespace = "demo",
        SnapshotName = name,
        VolumeSnapshotClass = "csi",
        ClaimOf = host => host,
        LeaseRenewal = TimeSpan.FromMilliseconds(50),
    });

    private MongoClient Member(string host) => _set.Member(host);
}
