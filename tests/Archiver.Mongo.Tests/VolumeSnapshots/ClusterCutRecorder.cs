using System.Collections.Concurrent;
using Archiver.Emulators.MongoDb;
using Archiver.Emulators.MongoDb.Sharding;
using Archiver.Storage.VolumeSnapshots;
using Xunit;

namespace Archiver.Mongo.Tests.VolumeSnapshots;

/// <summary>
/// A CSI driver reduced to what a sharded backup's steps see, over the sharded emulator (whose replica sets keep no
/// member folders to copy): a snapshot of a member (the claim is its host) records the member as it was when the
/// snapshot was asked for and when it was cut: locked or not, its applied <c>ts</c>, the balancer, and how many
/// replica sets had asked for theirs by then. One replica set's cut can be made to fail (the others' snapshots then
/// never becoming ready), or its readiness once every other replica set's snapshot is ready.
/// </summary>
/// <param name="configServer">The config server's replica set name (the emulator's <c>ShardedMongoEmulatorOptions.ConfigServerName</c>).</param>
internal sealed class ClusterCutRecorder(ShardedMongoEmulator cluster, string configServer) : IVolumeSnapshotter
{
    /// <summary>How long a cut waits for the other replica sets' snapshots to be asked for (cuts taken one after another never see them).</summary>
    private static readonly TimeSpan AtOnceWait = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Asked> _asked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Cut> _cuts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ready = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _existing = new(StringComparer.Ordinal);

    /// <summary>The replica set whose snapshot fails, and where: <see cref="FailStep.Cut"/> or <see cref="FailStep.Ready"/>.</summary>
    public (string ReplicaSet, FailStep Step)? Fail { get; set; }

    public ConcurrentQueue<string> Deleted { get; } = new();

    /// <summary>Snapshots asked for and not deleted.</summary>
    public ICollection<string> Existing => _existing.Keys;

    /// <summary>Every snapshot asked for, deleted or not.</summary>
    public ICollection<string> Created => _asked.Keys;

    public Cut Of(string name) => _cuts[name];

    private List<(string Name, MongoEmulator Set)> Sets =>
        [(configServer, cluster.ConfigServer), .. cluster.ShardNames.Select(n => (n, cluster.Shard(n)))];

    public Task PrecheckAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken) =>
        request.ClassName == "missing"
            ? throw new VolumeSnapshotFailedException($"VolumeSnapshotClass {request.ClassName} (spec.fullBackup.csiSnapshotter.volumeSnapshotClassName) does not exist")
            : Task.CompletedTask;

    public Task CreateAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken)
    {
        var (name, set, member) = Locate(request.Claim);
        _asked[request.Name] = new Asked(name, set, member, set.IsFsyncLocked(member), OplogFields.ToStorage(set.MemberLastAppliedTimestamp(member)));
        _existing[request.Name] = true;
        return Task.CompletedTask;
    }

    public async Task<DateTimeOffset> WaitCutAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var asked = _asked[name];
        await WaitForAsync(() => _asked.Count == Sets.Count, cancellationToken);
        if (Fail is { Step: FailStep.Cut } fail && fail.ReplicaSet == asked.ReplicaSet)
        {
            throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name}: Failed to create snapshot: the driver refused (test)");
        }

        var at = DateTimeOffset.UtcNow;
        _cuts[name] = new Cut(
            asked.ReplicaSet, asked.Member, asked.Set.PrimaryIndex, asked.LockedAtCreate, asked.AppliedAtCreate,
            asked.Set.IsFsyncLocked(asked.Member), OplogFields.ToStorage(asked.Set.MemberLastAppliedTimestamp(asked.Member)),
            cluster.BalancerStopped, _asked.Count, at);
        return at;
    }

    public async Task<VolumeSnapshotReady> WaitReadyAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var cut = _cuts[name];
        if (Fail is { Step: FailStep.Ready } fail && fail.ReplicaSet == cut.ReplicaSet)
        {
            // Once every other snapshot is ready: the backup then has finished cuts to delete.
            await WaitForAsync(() => _ready.Count == Sets.Count - 1, cancellationToken);
            throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name}: Failed to upload snapshot: the bucket refused (test)");
        }

        if (Fail is { Step: FailStep.Cut })
        {
            // The others' snapshots are never ready: only a backup that cancels them when one cut fails ever ends.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        _ready[name] = true;
        return new VolumeSnapshotReady(1024, $"snapcontent-{name}", $"handle-{name}", "recorder.csi.test", cut.At);
    }

    public Task DeleteAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        Deleted.Enqueue(name);
        _existing.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    // A restore's steps are not this double's: the backup's are.
    public Task<VolumeSnapshotReady> WaitRestorableAsync(string @namespace, string name, string className, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<VolumeSnapshotState> StateOfAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<VolumeSnapshotReady> BindCopyAsync(Storage.FullBackups.VolumeSnapshotRecord source, string @namespace, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DeleteCopyAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task WaitClaimsMadeAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ClaimTrouble?> ClaimTroubleAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();

    private (string Name, MongoEmulator Set, int Member) Locate(string host)
    {
        foreach (var (name, set) in Sets)
        {
            var member = set.Hosts.ToList().IndexOf(host);
            if (member >= 0) return (name, set, member);
        }

        Assert.Fail($"no member {host} in the cluster");
        throw new InvalidOperationException();
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + AtOnceWait;
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20, cancellationToken);
    }

    private sealed record Asked(string ReplicaSet, MongoEmulator Set, int Member, bool LockedAtCreate, Storage.OplogTimestamp AppliedAtCreate);

    /// <param name="ReplicaSet">The replica set the snapshotted member belongs to.</param>
    /// <param name="Primary">That replica set's primary at the cut.</param>
    /// <param name="LockedAtCreate">Whether the member was locked when the snapshot was asked for.</param>
    /// <param name="AppliedAtCreate">The member's applied <c>ts</c> then.</param>
    /// <param name="LockedAtCut">Whether it was still locked when the snapshot was cut.</param>
    /// <param name="AppliedAtCut">Its applied <c>ts</c> then: the position its volume holds.</param>
    /// <param name="BalancerStopped">Whether the cluster's balancer was stopped at the cut.</param>
    /// <param name="SnapshotsAskedAtCut">How many replica sets had asked for their snapshots by the cut.</param>
    internal sealed record Cut(
        string ReplicaSet, int Member, int Primary, bool LockedAtCreate, Storage.OplogTimestamp AppliedAtCreate,
        bool LockedAtCut, Storage.OplogTimestamp AppliedAtCut, bool BalancerStopped, int SnapshotsAskedAtCut, DateTimeOffset At);

    internal enum FailStep
    {
        Cut,
        Ready,
    }
}
