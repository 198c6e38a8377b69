using System.CommandLine;
using Archiver.Kubernetes;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Backup.VolumeSnapshots;
using Archiver.Storage.Layout;
using k8s;
using MongoDB.Driver;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver volume-snapshot-backup</c>: one attempt of a database's full backup with the <c>CSISnapshotter</c> driver,
/// as the backup Job the node creates runs it (src/Kubernetes/VolumeSnapshotJob.cs): the steps are
/// <see cref="VolumeSnapshotBackup"/>'s. Configured as the sidecar is (the storage in $ARCHIVER_BACKUP_STORAGE with its
/// secrets mounted, the replica set in $ARCHIVER_MONGODB_URI, credentials in $MONGODB_USERNAME/$MONGODB_PASSWORD), and
/// reaches the API server as its pod's service account. Prints the backup's id on success; exits non-zero with the
/// reason otherwise, so the Job fails and the node reads why.
/// </summary>
public static class VolumeSnapshotBackupCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var database = new Option<string>("--database") { Description = "The MongoDB's name, in the pod's namespace ($POD_NAMESPACE).", Required = true };
        var uid = new Option<string>("--database-uid") { Description = "The database's metadata.uid: the timeline it owns in the repository.", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "The database's folder in the storage, e.g. db/MongoDB/demo/mg-rs.", Required = true };
        var snapshotClass = new Option<string>("--volume-snapshot-class") { Description = "The VolumeSnapshotClass (spec.fullBackup.csiSnapshotter.volumeSnapshotClassName).", Required = true };
        var runId = new Option<string>("--run-id") { Description = "The backup run this attempt belongs to.", Required = true };
        var attempt = new Option<int>("--attempt") { Description = "The attempt's number.", DefaultValueFactory = _ => 1 };
        var secretsDir = new Option<string>("--secrets-dir") { Description = "The storage's secrets, one folder per secret (<dir>/<namespace>/<name>/<key>).", DefaultValueFactory = _ => SidecarCommand.DefaultSecretsDir };
        var tlsDir = new Option<string?>("--tls-dir") { Description = "Connect over TLS with the client certificate in this folder (ca.crt, tls.crt, tls.key)." };
        var lockDeadline = new Option<int>("--lock-deadline") { Description = "Seconds a member may stay locked before the snapshot is given up.", DefaultValueFactory = _ => (int)VolumeSnapshotBackupOptions.DefaultLockDeadline.TotalSeconds };
        var command = new Command("volume-snapshot-backup", """
            Take one full backup of a replica set as a CSI volume snapshot: lock a healthy secondary (fsync with
            lock: true), read its last applied oplog ts, snapshot its datadir claim, unlock as soon as the snapshot
            is cut, wait until it is ready, and record it with that exact ts in the repository. Run by the backup
            Job the node creates for an archiver with spec.fullBackup.driver: CSISnapshotter; a lock left by an
            earlier attempt that was killed is released first.

            Example (the backup Job's container; its environment comes from the Job):
              archiver volume-snapshot-backup --database mg --database-uid 7d1c0f4e-... --prefix db/MongoDB/demo/mg \
                --volume-snapshot-class csi-snapshots --run-id 20250101000000-1 --attempt 1
            """)
        {
            database, uid, prefix, snapshotClass, runId, attempt, secretsDir, tlsDir, lockDeadline,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("volume-snapshot-backup", error, async () =>
        {
            var uri = Environment.GetEnvironmentVariable("ARCHIVER_MONGODB_URI");
            if (string.IsNullOrEmpty(uri)) throw new CommandFailure(ExitCodes.Usage, "no connection string: set $ARCHIVER_MONGODB_URI");
            var storageJson = Environment.GetEnvironmentVariable(SidecarCommand.StorageVariable);
            if (string.IsNullOrEmpty(storageJson)) throw new CommandFailure(ExitCodes.Usage, $"no storage: set ${SidecarCommand.StorageVariable}");
            var ns = Environment.GetEnvironmentVariable("POD_NAMESPACE");
            var pod = Environment.GetEnvironmentVariable("POD_NAME");
            if (string.IsNullOrEmpty(ns) || string.IsNullOrEmpty(pod)) throw new CommandFailure(ExitCodes.Usage, "no $POD_NAMESPACE or $POD_NAME: run in a pod (the downward API gives them)");
            if (!KubernetesClientConfiguration.IsInCluster()) throw new CommandFailure(ExitCodes.Usage, "not in a pod: the snapshot is taken through the API server as the pod's service account");

            var name = parse.GetValue(database)!;
            var tls = parse.GetValue(tlsDir) is { } folder ? SidecarCommand.TlsFromFolder(folder) : null;
            var username = Environment.GetEnvironmentVariable("MONGODB_USERNAME");
            var password = Environment.GetEnvironmentVariable("MONGODB_PASSWORD");
            using var kubernetes = new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig());
            var store = await SidecarCommand.OpenStorageAsync(storageJson, parse.GetValue(secretsDir)!, cancellation);
            var layout = new RepositoryLayout(parse.GetValue(prefix)!);
            var members = new Dictionary<string, MongoClient>(StringComparer.Ordinal);
            var replicaSet = new MongoClient(SidecarCommand.ClientSettings(uri, username, password, tls));
            try
            {
                IMongoClient Member(string host)
                {
                    if (members.TryGetValue(host, out var existing)) return existing;
                    var settings = SidecarCommand.ClientSettings($"mongodb://{host}/?directConnection=true", username, password, tls);
                    return members[host] = new MongoClient(settings);
                }

                var component = await Adapters.MongoConnections.ReplicaSetNameAsync(replicaSet, cancellation);
                var timeline = await ArchivingTimeline.OpenAsync(replicaSet, store, layout, parse.GetValue(uid)!, DateTimeOffset.UtcNow, cancellation);
                var backup = new VolumeSnapshotBackup(
                    replicaSet,
                    Member,
                    new KubernetesVolumeSnapshotter(kubernetes),
                    new KubernetesFsyncLockLease(kubernetes, ns, name, pod),
                    store,
                    layout,
                    new VolumeSnapshotBackupOptions
                    {
                        Component = component,
                        Timeline = timeline.Id,
                        Namespace = ns,
                        SnapshotName = VolumeSnapshotJob.Name(name, parse.GetValue(runId)!, parse.GetValue(attempt)),
                        VolumeSnapshotClass = parse.GetValue(snapshotClass)!,
                        ClaimOf = KubeDbClaim,
                        LockDeadline = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(lockDeadline))),
                        Labels = new Dictionary<string, string>
                        {
                            [VolumeSnapshotJob.ManagedByLabel] = VolumeSnapshotJob.ManagedBy,
                            [VolumeSnapshotJob.DatabaseLabel] = name,
                            [VolumeSnapshotJob.RunLabel] = parse.GetValue(runId)!,
                        },
                    });
                var manifest = await backup.RunAsync(cancellation);
                var snapshot = manifest.VolumeSnapshots[0];
                await output.WriteLineAsync($"backup {manifest.Id}: VolumeSnapshot {snapshot.Namespace}/{snapshot.Name} of {snapshot.Claim} ({snapshot.Member}) at ts {snapshot.Ts}, {snapshot.RestoreSizeBytes} bytes");
                return ExitCodes.Ok;
            }
            finally
            {
                ClusterRegistry.Instance.UnregisterAndDisposeCluster(replicaSet.Cluster);
                foreach (var member in members.Values) ClusterRegistry.Instance.UnregisterAndDisposeCluster(member.Cluster);
                (store as IDisposable)?.Dispose();
            }
        }));
        return command;
    }

    /// <summary>
    /// The claim KubeDB's StatefulSet gives a member's data: <c>datadir-{pod}</c> (its volumeClaimTemplate is named
    /// <c>datadir</c>; kubedb/apimachinery <c>apis/kubedb/constants.go</c>), the pod being the first label of the member's
    /// host name (<c>{db}-{i}.{db}-pods.{ns}.svc:27017</c>).
    /// </summary>
    public static string KubeDbClaim(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        var pod = host.Split(':')[0].Split('.')[0];
        return $"datadir-{pod}";
    }
}
