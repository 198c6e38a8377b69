using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Backup.VolumeSnapshots;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.VolumeSnapshots;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>
/// A volume-snapshot full backup over a three-member emulated replica set that keeps its members' data in folders:
/// a secondary is locked for the cut and only for it, the position recorded is exactly the data's, writes go on
/// meanwhile, and no lock outlives the backup whatever fails.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class VolumeSnapshotBackupTests : IAsyncLifetime
{
    private readonly TestRepository _repository = new();
    private readonly MemoryLockLease _lease = new("job-pod");
    private SnapshotReplicaSet _set = null!;
    private MongoEmulator _emulator = null!;
    private MongoClient _client = null!;
    private FolderSnapshotter _snapshots = null!;

    public async Task InitializeAsync()
    {
        _set = await SnapshotReplicaSet.StartAsync("vsb");
        (_emulator, _client, _snapshots) = (_set.Emulator, _set.Client, _set.Snapshots);
        await Orders.InsertManyAsync(Enumerable.Range(0, 200).Select(i => new BsonDocument { { "_id", i }, { "qty", i % 7 } }));
    }

    public async Task DisposeAsync()
    {
        await _set.DisposeAsync();
        _repository.Dispose();
    }

    private IMongoCollection<BsonDocument> Orders => _client.GetDatabase("shop").GetCollection<BsonDocument>("orders");

    [EmulatorOnlyFact]
    public async Task A_secondary_is_locked_for_the_cut_only_while_writes_go_on_and_its_copy_holds_exactly_the_recorded_position()
    {
        using var writing = new CancellationTokenSource();
        var written = 0;
        var writer = Task.Run(async () =>
        {
            for (var i = 1000; !writing.IsCancellationRequested; i++)
            {
                await Orders.InsertOneAsync(new BsonDocument("_id", i));
                Interlocked.Increment(ref written);
            }
        });
        // The primary takes writes while the secondary is copied: the lock holds one member, not the replica set.
        _snapshots.DuringCopy = async () =>
        {
            var before = Volatile.Read(ref written);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref written) < before + 3 && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.True(Volatile.Read(ref written) >= before + 3, "no write went through while the secondary was locked");
        };

        var manifest = await Backup().RunAsync();
        await writing.CancelAsync();
        await writer;

        var snapshot = Assert.Single(manifest.VolumeSnapshots);
        var taken = _snapshots.Of(snapshot.Name);
        Assert.Equal((VolumeSnapshotBackup.Driver, BackupStatus.Succeeded, "mg-full-1-1"), (manifest.Driver, manifest.Status, manifest.Origin));
        Assert.NotEqual(_emulator.PrimaryIndex, taken.Member);
        Assert.Equal((true, true), (taken.LockedAtCreate, taken.LockedAtCut));
        Assert.Equal(manifest.ConsistentAt, snapshot.Ts);
        Assert.Null(manifest.ReplayFrom);
        Assert.True(snapshot.RestoreSizeBytes > 0);
        Assert.All(Enumerable.Range(0, 3), m => Assert.False(_emulator.IsFsyncLocked(m), $"member {m} is left locked"));
        Assert.Null(_lease.Record);
        Assert.True(_lease.Renewals >= 0);

        // The copy, started as a replica set of its own, is exactly the locked member's data at the recorded position.
        await using var restored = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, ReplicaSetName = "restored", DataDirectories = [taken.Folder] });
        Assert.Equal(snapshot.Ts, OplogFields.ToStorage(restored.LastAppliedTimestamp));
        Assert.Equal(taken.MemberHash, await HashAsync(restored));
        Assert.True(Volatile.Read(ref written) > 0);
        var stored = (await RepositoryCatalog.LoadAsync(_repository.Local, _repository.Layout)).Timeline(1).SucceededBackups.Single();
        Assert.Equal(snapshot, Assert.Single(stored.VolumeSnapshots));
    }

    [EmulatorOnlyFact]
    public async Task A_snapshot_that_fails_is_deleted_the_member_unlocked_and_the_failure_recorded()
    {
        _snapshots.FailCutWith = "Failed to create snapshot: the driver refused (test)";

        var failure = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => Backup().RunAsync());

        Assert.Contains("the driver refused (test)", failure.Message, StringComparison.Ordinal);
        AssertNothingLeft();
        Assert.Equal("mg-full-1-1", Assert.Single(_snapshots.Deleted));
        var failed = Assert.Single((await RepositoryCatalog.LoadAsync(_repository.Local, _repository.Layout)).Timeline(1).Backups);
        Assert.Equal((BackupStatus.Failed, "mg-full-1-1"), (failed.Status, failed.Origin));
        Assert.Contains("the driver refused (test)", failed.Error, StringComparison.Ordinal);
    }

    [EmulatorOnlyFact]
    public async Task A_snapshot_not_cut_within_the_lock_deadline_unlocks_the_member_and_fails_saying_so()
    {
        _snapshots.NeverCut = true;

        var failure = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => Backup(o => o with { LockDeadline = TimeSpan.FromSeconds(1) }).RunAsync());

        Assert.Contains("was not cut within 00:00:01", failure.Message, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [EmulatorOnlyFact]
    public async Task A_backup_stopped_while_it_waits_for_the_cut_unlocks_the_member()
    {
        _snapshots.NeverCut = true;
        using var stop = new CancellationTokenSource();
        _snapshots.DuringCopy = () =>
        {
            stop.CancelAfter(TimeSpan.FromMilliseconds(300));
            return Task.CompletedTask;
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Backup().RunAsync(stop.Token));

        AssertNothingLeft();
    }

    [EmulatorOnlyFact]
    public async Task A_lock_left_by_a_killed_backup_is_released_before_the_next_one_which_then_succeeds()
    {
        // A backup pod killed outright after it locked a secondary: the member stays locked, its record not renewed.
        var secondary = Enumerable.Range(0, 3).First(m => m != _emulator.PrimaryIndex);
        var member = Member(_emulator.Hosts[secondary]);
        await member.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "fsync", 1 }, { "lock", true } });
        _lease.LeftBy("killed-pod", _emulator.Hosts[secondary], DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(_emulator.IsFsyncLocked(secondary));

        var manifest = await Backup().RunAsync();

        Assert.Equal(BackupStatus.Succeeded, manifest.Status);
        AssertNothingLeft();
    }

    [EmulatorOnlyFact]
    public async Task A_missing_snapshot_class_fails_before_any_member_is_locked()
    {
        var failure = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => Backup(o => o with { VolumeSnapshotClass = "missing" }).RunAsync());

        Assert.Contains("VolumeSnapshotClass missing", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_snapshots.Deleted);
        Assert.Null(_lease.Record);
        Assert.Equal(0, _lease.Renewals);
        AssertNothingLeft();
    }

    [EmulatorOnlyFact]
    public async Task A_locked_secondary_elected_primary_during_the_cut_is_unlocked_and_its_copy_is_still_the_recorded_position()
    {
        var pending = Task.CompletedTask;
        _snapshots.DuringCopy = () =>
        {
            if (!pending.IsCompleted) return Task.CompletedTask;
            var locked = Enumerable.Range(0, 3).Single(_emulator.IsFsyncLocked);
            _emulator.StepUp(locked);
            // A write to the new primary waits for the unlock, as on mongod; it is not lost.
            pending = Orders.InsertOneAsync(new BsonDocument("_id", "during-step-up"));
            return Task.CompletedTask;
        };

        var manifest = await Backup().RunAsync();
        await pending.WaitAsync(TimeSpan.FromSeconds(20));

        var snapshot = Assert.Single(manifest.VolumeSnapshots);
        var taken = _snapshots.Of(snapshot.Name);
        AssertNothingLeft();
        await using var restored = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null, ReplicaSetName = "restored", DataDirectories = [taken.Folder] });
        Assert.Equal(snapshot.Ts, OplogFields.ToStorage(restored.LastAppliedTimestamp));
        Assert.Equal(taken.MemberHash, await HashAsync(restored));
        Assert.Equal(1, await Orders.CountDocumentsAsync(new BsonDocument("_id", "during-step-up")));
    }

    private void AssertNothingLeft()
    {
        Assert.All(Enumerable.Range(0, 3), m => Assert.False(_emulator.IsFsyncLocked(m), $"member {m} is left locked"));
        Assert.Null(_lease.Record);
    }

    private VolumeSnapshotBackup Backup(Func<VolumeSnapshotBackupOptions, VolumeSnapshotBackupOptions>? configure = null)
    {
        var options = new VolumeSnapshotBackupOptions
        {
            Component = "rs0",
            Timeline = 1,
            Namespace = "demo",
            SnapshotName = "mg-full-1-1",
            VolumeSnapshotClass = "csi",
            ClaimOf = host => host,
            LeaseRenewal = TimeSpan.FromMilliseconds(50),
        };
        return new VolumeSnapshotBackup(_client, Member, _snapshots, _lease, _repository.Store, _repository.Layout, configure?.Invoke(options) ?? options);
    }

    private MongoClient Member(string host) => _set.Member(host);

    private static async Task<string> HashAsync(MongoEmulator emulator)
    {
        var client = TestClients.Create(emulator.ConnectionString);
        try
        {
            var reply = await client.GetDatabase("shop").RunCommandAsync<BsonDocument>(new BsonDocument("dbHash", 1));
            return $"shop:{reply["md5"].AsString}";
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }
}
