using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Hosting;
using Archiver.Actors.Ports;
using Archiver.Kubernetes;
using Archiver.Messages.Validation;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Mongo.Backup.VolumeSnapshots;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using k8s;

namespace Archiver.Host.Adapters;

/// <summary>
/// Full backups on a node that drives a cluster: <c>Logical</c> dumps from the node as everywhere
/// (<see cref="LogicalBackupRunner"/>), <c>CSISnapshotter</c> as a backup Job per attempt
/// (<see cref="KubernetesWorkloads.RunBackupJobAsync"/>, running <c>archiver volume-snapshot-backup</c>). The node
/// waits for the Job and reads the outcome where the Job wrote it: the manifest the Job's pod published in the
/// repository, found by its origin (the Job's name), with its error when the backup failed. Before a Job, and after
/// one that failed, a lock left on a member by a holder that is gone is released (the lock's Lease, see
/// <see cref="KubernetesFsyncLockLease"/>): a pod killed while it held one cannot release it itself.
/// </summary>
public sealed class ClusterFullBackupRunner(
    LogicalBackupRunner logical,
    DatabaseRepositories repositories,
    MongoConnections connections,
    KubernetesWorkloads workloads,
    IKubernetes client,
    ActorRegistry registry) : IFullBackupRunner
{
    /// <summary>The identity the node records when it clears a lock another holder left.</summary>
    private const string NodeHolder = "archiver-node";

    public string? Refuses(FullBackupDriver driver) => null;

    /// <summary>
    /// In a cluster each replica set's stream is a sidecar in its config server's and shards' pods (MemberWorkloads), and a
    /// Logical full backup goes through the routers (LogicalBackupRunner, ShardedLogicalBackup). A CSISnapshotter one
    /// would need a volume snapshot of every replica set cut at one cluster time, which the backup Job does not take.
    /// </summary>
    public string? RefusesSharded(FullBackupDriver driver) =>
        driver == FullBackupDriver.CSISnapshotter
            ? "a sharded cluster (spec.shardTopology) is not backed up with spec.fullBackup.driver: CSISnapshotter in a cluster (one volume snapshot per replica set at one cluster time is not done); use driver: Logical"
            : null;

    /// <summary>In a cluster KubeDB provisions the server from the spec: a spec that says standalone is one.</summary>
    public string? RefusesStandalone() => Messages.Resources.MongoDB.StandaloneReason;

    public async Task<FullBackupResult> RunAsync(ResourceId database, string runId, int attempt, CancellationToken cancellation)
    {
        var repository = await repositories.ResolveAsync(database, cancellation);
        var full = repository.Archiver.Spec?.FullBackup;
        if (repository.Archiver.FullBackupDriver() == FullBackupDriver.Logical)
        {
            return await logical.RunAsync(database, runId, attempt, cancellation);
        }

        var lease = new KubernetesFsyncLockLease(client, database.Namespace, database.Name, NodeHolder);
        var lockDeadline = VolumeSnapshotBackupOptions.DefaultLockDeadline;
        await ReleaseStaleAsync(lease, repository.Database, lockDeadline, cancellation);
        var storage = await repositories.StorageAsync(repository.StorageId, cancellation);
        var deadline = full?.Timeout is { } timeout && GoDuration.TryParse(timeout, out var parsed, out _) ? parsed : (TimeSpan?)null;
        BackupJobOutcome outcome;
        try
        {
            outcome = await workloads.RunBackupJobAsync(
                new BackupJobRequest(repository.Database, repository.Archiver, storage, repository.Layout.Prefix, runId, attempt, KubeDbConnection.Uri(repository.Database), deadline),
                cancellation);
        }
        finally
        {
            // A Job that ended (or was given up) has no pod holding a lock any more: whatever its Lease names is released
            // now, not after the Lease's duration.
            await ReleaseStaleAsync(lease, repository.Database, TimeSpan.Zero, CancellationToken.None);
        }

        registry.Get<StorageIndexRegion>().Tell(new RefreshCatalog(repository.StorageId, repository.Layout.Prefix));
        var catalog = await RepositoryCatalog.LoadAsync(repository.Store, repository.Layout, cancellation);
        var made = catalog.Timelines.SelectMany(t => t.Backups).Where(b => b.Origin == outcome.JobName).ToList();
        if (made.FirstOrDefault(b => b.Status == BackupStatus.Succeeded) is { } succeeded && outcome.Succeeded)
        {
            return new FullBackupResult(succeeded.Id, [.. succeeded.VolumeSnapshots.Select(v => new BackupVolumeSnapshot(v.Component, v.Claim, v.Member, v.Name, v.CreatedAt))]);
        }

        if (!made.Any(b => b.Status == BackupStatus.Succeeded))
        {
            // A Job that failed deletes its snapshot itself, but one killed outright cannot: its VolumeSnapshot (named as
            // the Job) would stay, cut from a member no longer locked, named by no manifest, holding storage forever.
            await workloads.DeleteVolumeSnapshotsAsync([new VolumeSnapshotRef(database.Namespace, outcome.JobName)], CancellationToken.None);
        }

        var failed = made.LastOrDefault(b => b.Status == BackupStatus.Failed);
        throw new InvalidOperationException(
            $"backup Job {database.Namespace}/{outcome.JobName} {(outcome.Succeeded ? "completed but published no manifest" : "failed")}: "
            + (failed?.Error ?? outcome.Failure ?? "no reason recorded; see the Job's pod log"));
    }

    private async Task ReleaseStaleAsync(KubernetesFsyncLockLease lease, Messages.Resources.MongoDB database, TimeSpan deadline, CancellationToken cancellation)
    {
        try
        {
            await VolumeSnapshotBackup.ReleaseStaleLockAsync(lease, (host, token) => connections.MemberClientAsync(database, host, token), deadline, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next attempt looks again; a member left locked refuses writes, which the database's own status shows.
            throw new InvalidOperationException($"a fsync lock left on a member of {ResourceId.Of(database)} by an earlier backup could not be released: {e.Message}", e);
        }
    }
}
