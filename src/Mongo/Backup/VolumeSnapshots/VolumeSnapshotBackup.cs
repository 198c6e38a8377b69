using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.VolumeSnapshots;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Backup.VolumeSnapshots;

/// <summary>
/// One full backup of a replica set as a CSI volume snapshot of one member's data volume, quiesced and with its exact
/// oplog position: a healthy secondary is picked (the primary only when there is none), locked with <c>fsync</c> and
/// <c>lock: true</c> (its data files are flushed and no write reaches them until it is unlocked), its last applied
/// oplog <c>ts</c> is read, the snapshot is asked for and the member unlocked as soon as the snapshot is cut (its
/// <c>creationTime</c>), not when it is uploaded and ready. The backup's manifest records the snapshot and that
/// <c>ts</c>; a restore starts from the snapshot and replays the oplog strictly after it.
/// <para>
/// Better than the anchors: KubeDB snapshots a member without quiescing it and records only the snapshot's time
/// (so a restore replays from the start of the chunk that holds it, and crash-consistent copies are known to come
/// back with WiredTiger checksum errors, mongodb/mongodb-kubernetes-operator#573); Percona's operator takes PVC
/// snapshots but cannot do point-in-time recovery on them.
/// </para>
/// <para>
/// A lock is never left held: released on every path out of this method (a failure, a cancellation: the Job's pod
/// stopped), bounded by <see cref="VolumeSnapshotBackupOptions.LockDeadline"/>, and recorded in a lease renewed while
/// it is held, so that a process killed outright leaves a record whoever comes next acts on (<see cref="ReleaseStaleLockAsync"/>).
/// </para>
/// </summary>
public sealed class VolumeSnapshotBackup(
    IMongoClient replicaSet,
    Func<string, IMongoClient> memberClient,
    IVolumeSnapshotter snapshots,
    IFsyncLockLease lease,
    IObjectStore store,
    RepositoryLayout layout,
    VolumeSnapshotBackupOptions options)
{
    /// <summary>The driver's name in the manifest: the archiver's <c>spec.fullBackup.driver</c>.</summary>
    public const string Driver = "CSISnapshotter";

    /// <summary>How long an unlock may take before it is given up (the lease then stays, for someone to retry).</summary>
    private static readonly TimeSpan UnlockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the position the data holds may take to become majority-committed.</summary>
    private static readonly TimeSpan MajorityWait = TimeSpan.FromSeconds(30);

    public async Task<BackupManifest> RunAsync(CancellationToken cancellationToken = default)
    {
        var time = options.Time;
        var started = time.GetUtcNow();
        var host = await PickMemberAsync(cancellationToken);
        var writer = new FullBackupWriter(store, layout, new BackupStart(Driver, [options.Component], options.Timeline, started) { Origin = options.Origin ?? options.SnapshotName });
        VolumeSnapshotRecord? snapshot = null;
        try
        {
            await PrecheckAsync(host, cancellationToken);
            snapshot = await CutAsync(host, cancellationToken);
            writer.AddVolumeSnapshot(snapshot);
            return await writer.CompleteAsync(snapshot.Ts, snapshot.WallUnixMs, time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e)
        {
            // No snapshot left that no manifest names (a cut that failed deleted its own), and a failed manifest that
            // says why (retention counts it).
            if (snapshot is not null) await QuietlyAsync(() => DeleteAsync(snapshot));
            await QuietlyAsync(() => writer.FailAsync(e.Message, time.GetUtcNow(), CancellationToken.None));
            throw;
        }
    }

    /// <summary>
    /// The first step of a cut: a lock a killed holder left on this replica set released, then the member to lock
    /// picked. A sharded cluster's backup takes these steps for each of its replica sets (<see cref="ShardedVolumeSnapshotBackup"/>).
    /// </summary>
    internal async Task<string> PickMemberAsync(CancellationToken cancellationToken)
    {
        await ReleaseStaleLockAsync(lease, (host, _) => Task.FromResult(memberClient(host)), options.LockDeadline, cancellationToken);
        return await ChooseMemberAsync(cancellationToken);
    }

    /// <summary>A class or claim that is not there fails here, with the member never locked.</summary>
    internal Task PrecheckAsync(string host, CancellationToken cancellationToken) => snapshots.PrecheckAsync(Request(options.ClaimOf(host)), cancellationToken);

    /// <summary>
    /// The replica set's cut, of <paramref name="host"/>'s volume: locked, its position read, the snapshot asked for and
    /// cut, unlocked, the position majority-committed, the snapshot ready. A cut that fails (or is cancelled) deletes the
    /// snapshot it asked for and leaves no lock; one that succeeded is the caller's to delete if the backup fails after it.
    /// </summary>
    internal async Task<VolumeSnapshotRecord> CutAsync(string host, CancellationToken cancellationToken)
    {
        var time = options.Time;
        var claim = options.ClaimOf(host);
        var created = false;
        try
        {
            var (ts, wall, cut) = await LockAndCutAsync(host, claim, () => created = true, cancellationToken);
            // The archive holds only majority-committed entries: a position past the majority point could be rolled back,
            // and no archived oplog would continue it.
            await WaitForMajorityAsync(ts, cancellationToken);
            using var readyLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            readyLimit.CancelAfter(options.ReadyTimeout);
            VolumeSnapshotReady ready;
            try
            {
                ready = await snapshots.WaitReadyAsync(options.Namespace, options.SnapshotName, readyLimit.Token);
            }
            catch (OperationCanceledException) when (readyLimit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new VolumeSnapshotFailedException(
                    $"VolumeSnapshot {options.Namespace}/{options.SnapshotName} was cut at {cut:O} but not ready to use within {options.ReadyTimeout}");
            }

            return new VolumeSnapshotRecord(
                options.Component, options.Namespace, options.SnapshotName, options.VolumeSnapshotClass, claim, host,
                ts, wall, ready.RestoreSizeBytes, ready.ContentName, ready.SnapshotHandle, ready.Driver, cut, time.GetUtcNow());
        }
        catch when (created)
        {
            await QuietlyAsync(() => snapshots.DeleteAsync(options.Namespace, options.SnapshotName, CancellationToken.None));
            throw;
        }
    }

    /// <summary>Deletes a snapshot a cut of this backup took, once the backup it belongs to has failed after it.</summary>
    internal Task DeleteAsync(VolumeSnapshotRecord snapshot) => snapshots.DeleteAsync(snapshot.Namespace, snapshot.Name, CancellationToken.None);

    /// <summary>
    /// Releases a lock a holder left (killed while it held it, or holding it past the deadline): unlocks the member its
    /// record names, then removes the record. Run before every attempt, and by the node when it finds a backup Job gone.
    /// </summary>
    public static async Task<StaleFsyncLock?> ReleaseStaleLockAsync(
        IFsyncLockLease lease, Func<string, CancellationToken, Task<IMongoClient>> memberClient, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(memberClient);
        if (await lease.FindStaleAsync(deadline, cancellationToken) is not { } stale) return null;
        var member = await memberClient(stale.Member, cancellationToken);
        await UnlockAsync(member.GetDatabase("admin"), cancellationToken);
        await lease.ClearAsync(stale, cancellationToken);
        return stale;
    }

    /// <summary>
    /// Locks the member, reads the position its data holds, asks for the snapshot and waits for its cut, then unlocks,
    /// whatever happened. The lease is recorded before the lock and removed only once the unlock succeeded.
    /// </summary>
    private async Task<(OplogTimestamp Ts, long Wall, DateTimeOffset Cut)> LockAndCutAsync(string host, string claim, Action created, CancellationToken cancellationToken)
    {
        var member = memberClient(host);
        var admin = member.GetDatabase("admin");
        await lease.AcquireAsync(host, cancellationToken);
        await admin.RunCommandAsync<BsonDocument>(new BsonDocument { { "fsync", 1 }, { "lock", true } }, cancellationToken: cancellationToken);
        var unlocked = false;
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewals = RenewWhileLockedAsync(renewing.Token);
        try
        {
            var (ts, wall) = await AppliedPositionAsync(member, cancellationToken);
            await snapshots.CreateAsync(Request(claim), cancellationToken);
            created();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.LockDeadline);
            DateTimeOffset cut;
            try
            {
                cut = await snapshots.WaitCutAsync(options.Namespace, options.SnapshotName, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new VolumeSnapshotFailedException(
                    $"VolumeSnapshot {options.Namespace}/{options.SnapshotName} of claim {claim} was not cut within {options.LockDeadline} while member {host} was locked; the member is unlocked and the snapshot deleted");
            }

            await UnlockAsync(admin, CancellationToken.None);
            unlocked = true;
            return (ts, wall, cut);
        }
        finally
        {
            await renewing.CancelAsync();
            await QuietlyAsync(() => renewals);
            if (!unlocked)
            {
                // On every other way out (a failure, the pod stopped): an unlock that fails too leaves the lease, not renewed,
                // for the next attempt or the node to act on.
                unlocked = await QuietlyAsync(() => UnlockAsync(admin, CancellationToken.None));
            }

            if (unlocked) await QuietlyAsync(() => lease.ReleaseAsync(CancellationToken.None));
        }
    }

    private VolumeSnapshotRequest Request(string claim) => new(options.Namespace, options.SnapshotName, claim, options.VolumeSnapshotClass, options.Labels);

    private async Task RenewWhileLockedAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(options.LeaseRenewal, options.Time, cancellationToken);
            await lease.RenewAsync(cancellationToken);
        }
    }

    /// <summary>
    /// <c>fsyncUnlock</c> until the member says it is no longer locked by us: once (each lock is one count), tolerating
    /// "not locked" (a lock the deadline or someone else released already).
    /// </summary>
    private static async Task UnlockAsync(IMongoDatabase admin, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(UnlockTimeout);
        try
        {
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("fsyncUnlock", 1), cancellationToken: limit.Token);
        }
        catch (MongoCommandException e) when (e.Code == NotLockedCode || e.Message.Contains("not locked", StringComparison.OrdinalIgnoreCase))
        {
            // Not locked (any more): what we wanted.
        }
    }

    /// <summary>mongod's answer to <c>fsyncUnlock</c> on a member that is not locked (IllegalOperation; src/mongo/db/commands/fsync.cpp).</summary>
    private const int NotLockedCode = 20;

    /// <summary>
    /// The healthy secondary with the newest applied position (the least behind: its snapshot needs the least replay),
    /// or the primary when no secondary is healthy (a replica set of one). Locking a secondary leaves writes going on.
    /// </summary>
    private async Task<string> ChooseMemberAsync(CancellationToken cancellationToken)
    {
        var status = await replicaSet.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1), cancellationToken: cancellationToken);
        var members = status.GetValue("members", new BsonArray()).AsBsonArray.OfType<BsonDocument>().ToList();
        bool Healthy(BsonDocument m) => m.GetValue("health", 0).ToDouble() == 1.0;
        var secondary = members
            .Where(m => Healthy(m) && m.GetValue("stateStr", "").AsString == "SECONDARY")
            .OrderByDescending(m => m.GetValue("optime", new BsonDocument()).AsBsonDocument.GetValue("ts", new BsonTimestamp(0)).AsBsonTimestamp)
            .FirstOrDefault();
        var chosen = secondary ?? members.FirstOrDefault(m => Healthy(m) && m.GetValue("stateStr", "").AsString == "PRIMARY")
            ?? throw new InvalidOperationException($"replica set {status.GetValue("set", "?")} has no healthy secondary or primary to snapshot");
        return chosen["name"].AsString;
    }

    /// <summary>
    /// The last entry the locked member has applied (<c>replSetGetStatus</c>'s own <c>optime</c>: its data holds exactly
    /// the entries up to it, since applying a batch and fsync's lock exclude each other) and that entry's wall time.
    /// </summary>
    private static async Task<(OplogTimestamp Ts, long Wall)> AppliedPositionAsync(IMongoClient member, CancellationToken cancellationToken)
    {
        var status = await member.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1), cancellationToken: cancellationToken);
        var self = status.GetValue("members", new BsonArray()).AsBsonArray.OfType<BsonDocument>().FirstOrDefault(m => m.GetValue("self", false).ToBoolean())
            ?? throw new InvalidOperationException("replSetGetStatus on the locked member names no member as itself");
        var ts = self.GetValue("optime", new BsonDocument()).AsBsonDocument.GetValue("ts", new BsonTimestamp(0)).AsBsonTimestamp;
        // Read on that member, whatever its role: a secondary answers a read only when the read preference allows it.
        var entry = await member.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .WithReadPreference(ReadPreference.PrimaryPreferred)
            .Find(new BsonDocument("ts", ts))
            .Project(new BsonDocument { { "ts", 1 }, { "wall", 1 } })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException($"the locked member's last applied entry {ts} is not in its oplog");
        return (OplogFields.ToStorage(ts), entry.GetValue("wall", new BsonDateTime(0)).AsBsonDateTime.MillisecondsSinceEpoch);
    }

    private async Task WaitForMajorityAsync(OplogTimestamp ts, CancellationToken cancellationToken)
    {
        var started = options.Time.GetTimestamp();
        while ((await ReplicaSetPosition.ReadAsync(replicaSet, cancellationToken)).Majority < ts)
        {
            if (options.Time.GetElapsedTime(started) > MajorityWait)
            {
                throw new TimeoutException($"the snapshot's position {ts} was not majority-committed within {MajorityWait}: it could still be rolled back");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), options.Time, cancellationToken);
        }
    }

    /// <summary>Cleaning up after a failure (or on the way out): true if it worked; the failure is what the caller hears of. Shared with <see cref="ShardedVolumeSnapshotBackup"/>.</summary>
    internal static async Task<bool> QuietlyAsync(Func<Task> action)
    {
        try
        {
            await action();
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }
}
