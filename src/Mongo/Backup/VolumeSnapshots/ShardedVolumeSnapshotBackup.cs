using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using Archiver.Mongo.Sharding;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.VolumeSnapshots;
using MongoDB.Driver;

namespace Archiver.Mongo.Backup.VolumeSnapshots;

/// <summary>
/// One full backup of a sharded cluster as CSI volume snapshots (the <c>CSISnapshotter</c> driver): the balancer is
/// paused (as <see cref="ShardedLogicalBackup"/> pauses it, and left as it was found on every path), then every replica
/// set behind the router, the config server and each shard, is cut at once, each exactly as a replica set's backup cuts
/// it (<see cref="VolumeSnapshotBackup"/>: a member locked, its applied <c>ts</c> read, its volume snapshotted, unlocked
/// once cut). One manifest names every cut with its own <c>ts</c>.
/// <para>
/// The cuts need not share a cluster time (docs/sharded.md, "Not done yet"): cluster times compare across replica sets,
/// so a restore that replays each replica set's oplog from its own cut to one target time at or after the newest cut
/// gives every replica set's state at that time. The manifest is therefore consistent at the newest cut and replays
/// from the oldest; each component's own view (<see cref="BackupManifest.ForComponent"/>) replays strictly after its own.
/// </para>
/// <para>
/// All or nothing: the first cut that fails cancels the others (each unlocks its member and deletes the snapshot it
/// asked for), the snapshots already taken are deleted, and a failed manifest says why.
/// </para>
/// </summary>
/// <param name="router">A client of the cluster's router (mongos).</param>
/// <param name="connect">A client of one replica set behind the router (<see cref="ShardedTopology.SettingsFor"/>).</param>
/// <param name="memberClient">A direct client of one member, by host (hosts differ across the replica sets).</param>
/// <param name="leaseOf">The lock record of one replica set, by component: each replica set has one member locked, and its own record.</param>
public sealed class ShardedVolumeSnapshotBackup(
    IMongoClient router,
    Func<ReplicaSetEndpoint, IMongoClient> connect,
    Func<string, IMongoClient> memberClient,
    IVolumeSnapshotter snapshots,
    Func<string, IFsyncLockLease> leaseOf,
    IObjectStore store,
    RepositoryLayout layout,
    ShardedVolumeSnapshotBackupOptions options)
{
    /// <summary>
    /// Kubernetes' limit on a label value: the snapshot's name is kept within it as the backup Job's is
    /// (src/Kubernetes/VolumeSnapshotJob.cs, <c>Name</c>), so it can label what is made from it.
    /// </summary>
    private const int MaxName = 63;

    public async Task<BackupManifest> RunAsync(CancellationToken cancellationToken = default)
    {
        var time = options.Time;
        var started = time.GetUtcNow();
        var topology = await ShardedTopology.DiscoverAsync(router, cancellationToken);
        var sets = topology.ReplicaSets.ToList();
        var writer = new FullBackupWriter(store, layout, new BackupStart(VolumeSnapshotBackup.Driver, sets.Select(s => s.Component).ToList(), options.Timeline, started)
        {
            ConfigServer = topology.ConfigServer.Component,
            Origin = options.Origin ?? options.SnapshotBaseName,
        });
        var taken = new VolumeSnapshotRecord?[sets.Count];
        List<VolumeSnapshotBackup> cuts = [];
        try
        {
            cuts = [.. sets.Select(set => new VolumeSnapshotBackup(connect(set), memberClient, snapshots, leaseOf(set.Component), store, layout, OptionsFor(set)))];
            await using (await BalancerPause.StopAsync(router, cancellationToken))
            {
                var hosts = await Task.WhenAll(cuts.Select(cut => cut.PickMemberAsync(cancellationToken)));
                // Every class and claim checked before any member is locked.
                await Task.WhenAll(cuts.Select((cut, i) => cut.PrecheckAsync(hosts[i], cancellationToken)));
                await CutAllAsync(cuts, hosts, taken, cancellationToken);
            }

            var records = taken.Select(t => t!).ToList();
            foreach (var record in records) writer.AddVolumeSnapshot(record);
            var newest = records.MaxBy(r => r.Ts)!;
            return await writer.CompleteAsync(records.Min(r => r.Ts), newest.Ts, newest.WallUnixMs, time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e)
        {
            // No snapshot left that no manifest names (a cut that failed deleted its own), and a failed manifest that says
            // why (retention counts it), on every path: a cancelled backup (the Job's pod stopped) too.
            for (var i = 0; i < taken.Length; i++)
            {
                if (taken[i] is { } record) await VolumeSnapshotBackup.QuietlyAsync(() => cuts[i].DeleteAsync(record));
            }

            await VolumeSnapshotBackup.QuietlyAsync(() => writer.FailAsync(e.Message, time.GetUtcNow(), CancellationToken.None));
            throw;
        }
    }

    /// <summary>
    /// The VolumeSnapshot of one component: <c>{base}-{component}</c>, an object name (lower case letters, digits, '-'
    /// and '.'; Kubernetes, "Object Names and IDs") within 63 characters. A replica set's name that is not one as it is
    /// (<c>configRepl</c>) or too long is cut, with a hash of the whole so that two do not meet.
    /// </summary>
    public static string SnapshotNameOf(string baseName, string component)
    {
        var name = $"{baseName}-{component}";
        var valid = string.Create(name.Length, name, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                chars[i] = c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' ? c : c is >= 'A' and <= 'Z' ? char.ToLowerInvariant(c) : '-';
            }
        });
        if (valid == name && name.Length <= MaxName) return name;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        return $"{valid[..Math.Min(valid.Length, MaxName - 9)].TrimEnd('-', '.')}-{hash}";
    }

    /// <summary>
    /// Every replica set's cut at once. The first that fails cancels the others: they unlock their members and delete
    /// the snapshots they asked for, and its failure, not their cancellations, is the backup's.
    /// </summary>
    private static async Task CutAllAsync(List<VolumeSnapshotBackup> cuts, string[] hosts, VolumeSnapshotRecord?[] taken, CancellationToken cancellationToken)
    {
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ExceptionDispatchInfo? first = null;

        async Task CutAsync(int i)
        {
            try
            {
                taken[i] = await cuts[i].CutAsync(hosts[i], abandon.Token);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref first, ExceptionDispatchInfo.Capture(e), null);
                await abandon.CancelAsync();
                throw;
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, cuts.Count).Select(CutAsync));
        }
        catch when (first is not null)
        {
            first.Throw();
        }
    }

    private VolumeSnapshotBackupOptions OptionsFor(ReplicaSetEndpoint set) => new()
    {
        Component = set.Component,
        Timeline = options.Timeline,
        Namespace = options.Namespace,
        SnapshotName = SnapshotNameOf(options.SnapshotBaseName, set.Component),
        VolumeSnapshotClass = options.VolumeSnapshotClass,
        ClaimOf = options.ClaimOf,
        Origin = options.Origin,
        Labels = options.Labels,
        LockDeadline = options.LockDeadline,
        ReadyTimeout = options.ReadyTimeout,
        LeaseRenewal = options.LeaseRenewal,
        Time = options.Time,
    };
}
