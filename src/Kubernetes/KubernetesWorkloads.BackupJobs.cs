using System.Net;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// Backup Jobs (<see cref="VolumeSnapshotJob"/>): made in the database's namespace with the permission they need, and
/// waited for as the Job controller reports them (<c>status.conditions</c> Complete or Failed,
/// kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup).
/// </summary>
public sealed partial class KubernetesWorkloads
{
    /// <summary>The RoleBinding of a database's backup Jobs' service account, beside the sidecar's.</summary>
    public static string VolumeSnapshotterRoleBindingName(string database) => $"{database}-archiver-volume-snapshotter";

    /// <summary>
    /// Runs one attempt of a volume-snapshot backup as a Job, or takes up the Job of that attempt made before (the
    /// node that made it died), and waits for it to end. The archiver's VolumeSnapshotClass is checked first, the Job's
    /// service account (the template's, else the database pods') bound to
    /// <see cref="KubernetesWorkloadsOptions.VolumeSnapshotterClusterRole"/>, and the copies of the storage's secrets
    /// made as for the sidecar.
    /// </summary>
    /// <exception cref="Archiver.Storage.VolumeSnapshots.VolumeSnapshotFailedException">The class does not exist, or the cluster has no snapshot CRDs.</exception>
    public async Task<BackupJobOutcome> RunBackupJobAsync(BackupJobRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (database, archiver, storage) = (request.Database, request.Archiver, request.Storage);
        var id = ResourceId.Of(database);
        var name = VolumeSnapshotJob.Name(id.Name, request.RunId, request.Attempt);
        var job = await TryReadJobAsync(id.Namespace, name, cancellation);
        if (job is null)
        {
            // The class is cluster-scoped, out of the Job's reach (its account is bound in the database's namespace only):
            // checked here, so a missing one fails the attempt before any pod runs and any member is locked.
            await new KubernetesVolumeSnapshotter(client).CheckClassAsync(archiver.Spec?.FullBackup?.CsiSnapshotter?.VolumeSnapshotClassName ?? "", cancellation);
            var workload = await ReadAsync(id, cancellation) ?? throw new ResourceNotFoundException($"the database's workload (StatefulSet or PetSet {id}) does not exist");
            var podAccount = workload.Set.Spec.Template.Spec.ServiceAccountName is { Length: > 0 } account ? account : "default";
            var copies = SidecarStorage.Copies(id, storage);
            await EnsureSecretCopiesAsync(database, copies, cancellation);
            var wanted = VolumeSnapshotJob.Build(options, database, archiver, storage, copies, new VolumeSnapshotJob.Inputs(request.RunId, request.Attempt, request.Prefix, request.MongoUri, podAccount, request.Deadline));
            await EnsureRoleBindingAsync(database, VolumeSnapshotterRoleBindingName(id.Name), options.VolumeSnapshotterClusterRole, wanted.Spec.Template.Spec.ServiceAccountName, cancellation);
            try
            {
                job = await client.BatchV1.CreateNamespacedJobAsync(wanted, id.Namespace, cancellationToken: cancellation);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                job = await client.BatchV1.ReadNamespacedJobAsync(name, id.Namespace, cancellationToken: cancellation);
            }
        }

        while (true)
        {
            if (Finished(job) is { } outcome)
            {
                await PruneBackupJobsAsync(id, archiver.Spec?.FullBackup?.Scheduler, cancellation);
                return outcome;
            }

            await Task.Delay(options.JobPollInterval, cancellation);
            job = await TryReadJobAsync(id.Namespace, name, cancellation)
                ?? throw new InvalidOperationException($"backup Job {id.Namespace}/{name} was deleted before it finished");
        }
    }

    /// <summary>
    /// Keeps a database's finished backup Jobs as a CronJob keeps its Jobs (kubernetes.io/docs/concepts/workloads/controllers/cron-jobs,
    /// "Jobs history limits"): the newest <c>successfulJobsHistoryLimit</c> (default 3) that completed and
    /// <c>failedJobsHistoryLimit</c> (default 1) that failed; the others are deleted with their pods (background
    /// propagation). A Job still running is never touched. A prune that fails is tried again after the next backup:
    /// the backup's outcome does not depend on it.
    /// </summary>
    private async Task PruneBackupJobsAsync(ResourceId database, SchedulerOptions? scheduler, CancellationToken cancellation)
    {
        try
        {
            var jobs = await client.BatchV1.ListNamespacedJobAsync(database.Namespace,
                labelSelector: $"{VolumeSnapshotJob.ManagedByLabel}={VolumeSnapshotJob.ManagedBy},{VolumeSnapshotJob.DatabaseLabel}={database.Name}", cancellationToken: cancellation);
            var finished = jobs.Items.Select(j => (Job: j, Outcome: Finished(j))).Where(j => j.Outcome is not null).ToList();
            var excess = Oldest(finished.Where(j => j.Outcome!.Succeeded), scheduler?.SuccessfulJobsHistoryLimit ?? 3)
                .Concat(Oldest(finished.Where(j => !j.Outcome!.Succeeded), scheduler?.FailedJobsHistoryLimit ?? 1));
            foreach (var job in excess)
            {
                try
                {
                    await client.BatchV1.DeleteNamespacedJobAsync(job.Metadata.Name, database.Namespace,
                        new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = job.Metadata.Uid } }, cancellationToken: cancellation);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
                {
                    // Gone already, or another Job under the name since.
                }
            }
        }
        catch (HttpOperationException)
        {
            // Not now (a refusal, the API server busy): the next backup's prune sees them again.
        }

        static IEnumerable<V1Job> Oldest(IEnumerable<(V1Job Job, BackupJobOutcome? Outcome)> jobs, int keep) =>
            jobs.Select(j => j.Job).OrderByDescending(FinishedAt).ThenByDescending(j => j.Metadata.Name, StringComparer.Ordinal).Skip(Math.Max(keep, 0));

        // A failed Job has no completionTime: its Failed condition says when.
        static DateTime? FinishedAt(V1Job job) => job.Status?.CompletionTime
            ?? job.Status?.Conditions?.Where(c => c.Type is "Complete" or "Failed" && c.Status == "True").Select(c => c.LastTransitionTime).FirstOrDefault()
            ?? job.Metadata.CreationTimestamp;
    }

    /// <summary>The Job's outcome once it has one: Complete, or Failed with the controller's reason and message.</summary>
    private static BackupJobOutcome? Finished(V1Job job)
    {
        var name = job.Metadata.Name;
        foreach (var condition in job.Status?.Conditions ?? [])
        {
            if (condition.Status != "True") continue;
            if (condition.Type == "Complete") return new BackupJobOutcome(name, true, null);
            if (condition.Type == "Failed") return new BackupJobOutcome(name, false, $"{condition.Reason}: {condition.Message}");
        }

        return null;
    }

    private async Task<V1Job?> TryReadJobAsync(string @namespace, string name, CancellationToken cancellation)
    {
        try
        {
            return await client.BatchV1.ReadNamespacedJobAsync(name, @namespace, cancellationToken: cancellation);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>What one backup Job needs: the resources as read, where it writes, how it reaches the replica set.</summary>
/// <param name="MongoUri">The replica set's address without credentials, which the Job's pod can reach.</param>
/// <param name="Deadline">The Job's activeDeadlineSeconds (the archiver's <c>spec.fullBackup.timeout</c>), if any.</param>
public sealed record BackupJobRequest(MongoDB Database, MongoDBArchiver Archiver, BackupStorage Storage, string Prefix, string RunId, int Attempt, string MongoUri, TimeSpan? Deadline);

/// <summary>How a backup Job ended: its name (the manifest's origin), whether it completed, and the controller's reason if not.</summary>
public sealed record BackupJobOutcome(string JobName, bool Succeeded, string? Failure);
