using System.Collections.Concurrent;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Mongo.Backup.VolumeSnapshots;
using Archiver.Mongo.Sharding;
using Archiver.Storage.FullBackups;
using Archiver.Storage.VolumeSnapshots;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>
/// A sharded cluster's volume-snapshot full backup on the sharded stand-in (a config server and two shards of three
/// members each): every replica set cut at once, each of a locked secondary at the position it had applied, one
/// manifest consistent at the newest cut and replayed from the oldest, the balancer paused for the cuts and left as it
/// was found, and nothing left (no snapshot, no lock) when one replica set's cut fails.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class ShardedVolumeSnapshotBackupTests : IAsyncLifetime
{
    private const string ConfigServer = "configRepl";

    private readonly TestRepository _repository = new();
    private readonly ConcurrentDictionary<string, MemoryLockLease> _leases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MongoClient> _members = new(StringComparer.Ordinal);
    private readonly List<MongoClient> _clients = [];
    private ShardedMongoEmulator _cluster = null!;
    private MongoClient _router = null!;
    private ClusterCutRecorder _snapshots = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions
        {
            Shards = 2, MembersPerShard = 3, ConfigServerMembers = 3, ConfigServerName = ConfigServer, PeriodicNoopInterval = null,
        });
        _router = TestClients.Create(_cluster.ConnectionString);
        _snapshots = new ClusterCutRecorder(_cluster, ConfigServer);
        await _router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument { { "shardCollection", "shop.orders" }, { "key", new BsonDocument("_id", "hashed") } });
        await Orders.InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument { { "_id", i }, { "total", i * 10 } }));
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients.Concat(_members.Values).Append(_router)) TestClients.Dispose(client);
        await _cluster.DisposeAsync();
        _repository.Dispose();
    }

    private IMongoCollection<BsonDocument> Orders => _router.GetDatabase("shop").GetCollection<BsonDocument>("orders");

    [Fact]
    public async Task Every_replica_set_is_cut_at_once_of_a_locked_secondary_in_one_manifest_from_the_oldest_cut_to_the_newest()
    {
        // Writes go on to every replica set, and each replSetGetStatus answers late: a position read anywhere but on the
        // locked member is past the one its volume holds.
        using var writing = new CancellationTokenSource();
        var config = Connect(new ReplicaSetEndpoint(ReplicaSetEndpoint.ConfigShard, ConfigServer, _cluster.ConfigServer.Hosts));
        var writers = new[]
        {
            Task.Run(async () =>
            {
                for (var i = 1000; !writing.IsCancellationRequested; i++) await Orders.InsertOneAsync(new BsonDocument("_id", i));
            }),
            Task.Run(async () =>
            {
                for (var i = 0; !writing.IsCancellationRequested; i++) await config.GetDatabase("probe").GetCollection<BsonDocument>("writes").InsertOneAsync(new BsonDocument("_id", i));
            }),
        };
        foreach (var set in _cluster.Shards.Prepend(_cluster.ConfigServer)) set.SlowDown("replSetGetStatus", TimeSpan.FromMilliseconds(150));

        var manifest = await Backup().RunAsync();
        await writing.CancelAsync();
        await Task.WhenAll(writers);

        Assert.Equal((VolumeSnapshotBackup.Driver, BackupStatus.Succeeded, "mg-full-1-1"), (manifest.Driver, manifest.Status, manifest.Origin));
        Assert.Equal([ConfigServer, "shard0", "shard1"], manifest.Components);
        Assert.Equal(ConfigServer, manifest.ConfigServer);
        Assert.Equal(manifest.Components, manifest.VolumeSnapshots.Select(v => v.Component));
        foreach (var snapshot in manifest.VolumeSnapshots)
        {
            var cut = _snapshots.Of(snapshot.Name);
            Assert.Equal(snapshot.Component, cut.ReplicaSet);
            Assert.Equal(ShardedVolumeSnapshotBackup.SnapshotNameOf("mg-full-1-1", snapshot.Component), snapshot.Name);
            Assert.NotEqual(cut.Primary, cut.Member);
            Assert.Equal((true, true), (cut.LockedAtCreate, cut.LockedAtCut));
            Assert.Equal((cut.AppliedAtCut, cut.AppliedAtCut), (snapshot.Ts, cut.AppliedAtCreate));
            Assert.True(cut.BalancerStopped, $"{snapshot.Component} was cut with the balancer running");
            Assert.Equal(3, cut.SnapshotsAskedAtCut);
            Assert.Equal(snapshot.Member, snapshot.Claim);
        }

        var positions = manifest.VolumeSnapshots.Select(v => v.Ts).ToList();
        Assert.True(positions.Distinct().Count() > 1, "every cut at one position: the test cannot tell the newest from the oldest");
        var newest = manifest.VolumeSnapshots.MaxBy(v => v.Ts)!;
        Assert.Equal((newest.Ts, newest.WallUnixMs), (manifest.ConsistentAt, manifest.ConsistentWallUnixMs));
        Assert.Equal(positions.Min(), manifest.ReplayFrom);
        AssertNothingLocked();
        Assert.False(_cluster.BalancerStopped);
        Assert.Empty(_snapshots.Deleted);
        var stored = (await _repository.CatalogAsync()).Timeline(1).SucceededBackups.Single();
        Assert.Equal(manifest.VolumeSnapshots, stored.VolumeSnapshots);
    }

    [Theory]
    [InlineData(false, "the driver refused (test)")]
    [InlineData(true, "the bucket refused (test)")]
    public async Task One_replica_set_failing_leaves_no_snapshot_no_lock_and_the_balancer_running_and_records_the_failure(bool onceCut, string error)
    {
        // Failing at its cut, the others (whose snapshots never become ready) are cancelled mid-cut; failing once cut, the
        // others' snapshots are ready and taken.
        _snapshots.Fail = ("shard1", onceCut ? ClusterCutRecorder.FailStep.Ready : ClusterCutRecorder.FailStep.Cut);

        var failure = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => Backup().RunAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(error, failure.Message, StringComparison.Ordinal);
        Assert.Equal(3, _snapshots.Created.Count);
        Assert.Empty(_snapshots.Existing);
        Assert.Equal(_snapshots.Created.Order(StringComparer.Ordinal), _snapshots.Deleted.Order(StringComparer.Ordinal));
        AssertNothingLocked();
        Assert.False(_cluster.BalancerStopped);
        var failed = Assert.Single((await _repository.CatalogAsync()).Timeline(1).Backups);
        Assert.Equal((BackupStatus.Failed, "mg-full-1-1", ConfigServer), (failed.Status, failed.Origin, failed.ConfigServer));
        Assert.Contains(error, failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_balancer_the_user_stopped_stays_stopped()
    {
        await _router.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("balancerStop", 1));

        var manifest = await Backup().RunAsync();

        Assert.Equal(BackupStatus.Succeeded, manifest.Status);
        Assert.All(manifest.VolumeSnapshots, v => Assert.True(_snapshots.Of(v.Name).BalancerStopped));
        Assert.True(_cluster.BalancerStopped);
    }

    [Fact]
    public async Task A_missing_snapshot_class_fails_before_any_member_is_locked()
    {
        var failure = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => Backup(o => o with { VolumeSnapshotClass = "missing" }).RunAsync());

        Assert.Contains("VolumeSnapshotClass missing", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_snapshots.Created);
        Assert.All(_leases.Values, l => Assert.Equal(0, l.Renewals));
        AssertNothingLocked();
        Assert.False(_cluster.BalancerStopped);
        Assert.Equal(BackupStatus.Failed, Assert.Single((await _repository.CatalogAsync()).Timeline(1).Backups).Status);
    }

    private void AssertNothingLocked()
    {
        foreach (var set in _cluster.Shards.Prepend(_cluster.ConfigServer))
        {
            Assert.All(Enumerable.Range(0, set.Hosts.Count), m => Assert.False(set.IsFsyncLocked(m), $"{set.Hosts[m]} is left locked"));
        }

        Assert.All(_leases, l => Assert.True(l.Value.Record is null, $"{l.Key}'s lock record is left"));
    }

    private ShardedVolumeSnapshotBackup Backup(Func<ShardedVolumeSnapshotBackupOptions, ShardedVolumeSnapshotBackupOptions>? configure = null)
    {
        var options = new ShardedVolumeSnapshotBackupOptions
        {
            Timeline = 1,
            Namespace = "demo",
            SnapshotBaseName = "mg-full-1-1",
            VolumeSnapshotClass = "csi",
            ClaimOf = host => host,
            LeaseRenewal = TimeSpan.FromMilliseconds(50),
        };
        return new ShardedVolumeSnapshotBackup(
            _router, Connect, Member, _snapshots, component => _leases.GetOrAdd(component, _ => new MemoryLockLease("job-pod")),
            _repository.Store, _repository.Layout, configure?.Invoke(options) ?? options);
    }

    private MongoClient Connect(ReplicaSetEndpoint set)
    {
        var client = new MongoClient(ShardedTopology.SettingsFor(set, _router.Settings));
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>One client per member (clients of equal settings share a cluster, which disposing one would close).</summary>
    private MongoClient Member(string host)
    {
        lock (_members)
        {
            if (!_members.TryGetValue(host, out var client)) _members[host] = client = TestClients.Create($"mongodb://{host}/?directConnection=true");
            return client;
        }
    }
}
