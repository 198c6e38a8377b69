using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The Kubernetes Job that takes one attempt of a database's full backup with the <c>CSISnapshotter</c> driver: one
/// pod running <c>archiver volume-snapshot-backup</c> (see src/Host/Cli/VolumeSnapshotBackupCommand.cs), built from the
/// archiver's <c>spec.fullBackup.scheduler.jobTemplate</c> and <c>spec.fullBackup.runtimeSettings</c> as KubeStash
/// builds its backup Jobs (kubestash/apimachinery <c>apis/core/v1alpha1</c> JobTemplate, kmodules offshoot-api
/// <c>api/v1/runtime_settings_types.go</c>): the pod part (service account, node selection, tolerations, affinity,
/// pod security context, image pull secrets, priority) is the pod's, the container part (resources, security context,
/// env) the container's. Its credentials come from secrets only, as the sidecar's do (<see cref="SidecarContainer"/>).
/// </summary>
public static class VolumeSnapshotJob
{
    /// <summary>The container's name in the Job's pod.</summary>
    public const string ContainerName = "volume-snapshot";

    /// <summary>Labels every backup Job carries, so the node finds a database's Jobs (history limits, a lock left behind).</summary>
    public const string DatabaseLabel = "archiver.kubedb.com/database";

    public const string RunLabel = "archiver.kubedb.com/backup-run";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public const string ManagedBy = "archiver.kubedb.com";

    /// <summary>
    /// Kubernetes' limit on a label value, which the Job controller puts the Job's name in (<c>job-name</c>,
    /// <c>batch.kubernetes.io/job-name</c>): a longer Job name is refused by the API server's validation of its pods.
    /// </summary>
    private const int MaxName = 63;

    /// <summary>
    /// The Job's container asks little: it waits on the API server and sends a few commands; these requests keep it
    /// schedulable beside the database, and the limit keeps a leak from growing with the node's memory.
    /// </summary>
    public static V1ResourceRequirements DefaultResources() => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("50m"), ["memory"] = new("128Mi") },
        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
    };

    /// <summary>The Job's name for an attempt of a run: stable, so the node finds the Job it made before a crash.</summary>
    public static string Name(string database, string runId, int attempt)
    {
        var name = $"{database}-full-{runId}-{attempt.ToString(CultureInfo.InvariantCulture)}";
        if (name.Length <= MaxName) return name;
        // Too long for a label: cut, with a hash of the whole so two long names do not meet.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        return $"{name[..(MaxName - 9)].TrimEnd('-', '.')}-{hash}";
    }

    /// <summary>What the Job needs besides the resources: where it writes, and how it reaches the database.</summary>
    /// <param name="Prefix">The database's directory in the repository.</param>
    /// <param name="MongoUri">The replica set's address without credentials (KubeDB's primary Service); the Job finds the members from it.</param>
    /// <param name="ServiceAccount">The service account the pod runs as when the archiver names none (the database pods').</param>
    public sealed record Inputs(string RunId, int Attempt, string Prefix, string MongoUri, string ServiceAccount, TimeSpan? Deadline);

    /// <exception cref="FormatException">The runtime settings do not have KubeStash's shape; the message names the field.</exception>
    internal static V1Job Build(KubernetesWorkloadsOptions options, MongoDB database, MongoDBArchiver archiver, BackupStorage storage, IReadOnlyList<SidecarStorage.Copy> copies, Inputs inputs)
    {
        var full = archiver.Spec?.FullBackup;
        var template = full?.Scheduler?.JobTemplate;
        var runtime = SidecarRuntime.From(full?.RuntimeSettings, DefaultResources(), "spec.fullBackup.runtimeSettings");
        var name = Name(database.Metadata.Name, inputs.RunId, inputs.Attempt);
        var labels = new Dictionary<string, string>
        {
            [ManagedByLabel] = ManagedBy,
            [DatabaseLabel] = database.Metadata.Name,
            [RunLabel] = inputs.RunId,
        };
        List<string> args =
        [
            "volume-snapshot-backup",
            "--database", database.Metadata.Name,
            "--database-uid", database.Metadata.Uid ?? "",
            "--prefix", inputs.Prefix,
            "--volume-snapshot-class", full?.CsiSnapshotter?.VolumeSnapshotClassName ?? "",
            "--run-id", inputs.RunId,
            "--attempt", inputs.Attempt.ToString(CultureInfo.InvariantCulture),
        ];
        var env = SidecarContainer.Environment(database, storage, inputs.MongoUri, runtime);

        List<V1Volume> volumes = [];
        List<V1VolumeMount> mounts = [];
        if (SidecarContainer.Volume(storage) is { } backups)
        {
            volumes.Add(backups);
            mounts.Add(new V1VolumeMount { Name = SidecarContainer.StorageVolume, MountPath = storage.Spec!.Storage!.Local!.MountPath });
        }

        volumes.AddRange(copies.Select(SidecarStorage.Volume));
        mounts.AddRange(copies.Select(SidecarStorage.Mount));
        if (database.TlsClientSecretName() is { } tls)
        {
            volumes.Add(new V1Volume { Name = SidecarContainer.TlsVolume, Secret = new V1SecretVolumeSource { SecretName = tls } });
            mounts.Add(new V1VolumeMount { Name = SidecarContainer.TlsVolume, MountPath = SidecarContainer.TlsMountPath, ReadOnlyProperty = true });
            args.AddRange(["--tls-dir", SidecarContainer.TlsMountPath]);
        }

        volumes.Add(new V1Volume { Name = SidecarContainer.TmpVolume, EmptyDir = new V1EmptyDirVolumeSource() });
        mounts.Add(new V1VolumeMount { Name = SidecarContainer.TmpVolume, MountPath = "/tmp" });

        var pod = new V1PodSpec
        {
            // A failed pod is the Job's to count against backoffLimit, not the kubelet's to restart in place: a restart
            // would lock the member again under the same attempt.
            RestartPolicy = "Never",
            ServiceAccountName = template?.PodTemplate?.ServiceAccountName ?? inputs.ServiceAccount,
            Containers =
            [
                new V1Container
                {
                    Name = ContainerName,
                    Image = options.SidecarImage,
                    Args = args,
                    Env = env,
                    EnvFrom = runtime.EnvFrom.Count == 0 ? null : [.. runtime.EnvFrom],
                    VolumeMounts = mounts,
                    Resources = runtime.Resources,
                    SecurityContext = runtime.SecurityContext,
                },
            ],
            Volumes = volumes,
        };
        var podMetadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) };
        ApplyPodSettings(full?.RuntimeSettings, template?.PodTemplate, pod, podMetadata);

        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = database.Metadata.NamespaceProperty,
                Labels = labels,
                // The database's: deleting it takes its backup Jobs with it.
                OwnerReferences =
                [
                    new V1OwnerReference { ApiVersion = database.ApiVersion ?? MongoDB.ApiVersionName, Kind = MongoDB.KindName, Name = database.Metadata.Name, Uid = database.Metadata.Uid ?? "" },
                ],
            },
            Spec = new V1JobSpec
            {
                // One replica set, one pod. (A sharded database would take one completion per shard.)
                Parallelism = 1,
                Completions = 1,
                // The retry budget of one attempt: the Job controller makes a new pod up to this many times; the
                // entity's retryConfig then decides whether another attempt (another Job) follows. Kubernetes' default
                // of 6 would multiply the archiver's own retries, so none unless the template asks.
                BackoffLimit = template?.BackoffLimit ?? 0,
                ActiveDeadlineSeconds = inputs.Deadline is { } deadline ? (long)Math.Ceiling(deadline.TotalSeconds) : null,
                Template = new V1PodTemplateSpec { Metadata = podMetadata, Spec = pod },
            },
        };
    }

    /// <summary>
    /// The pod part of KubeStash's RuntimeSettings (<c>runtimeSettings.pod</c>) and the job template's pod template,
    /// field by field over the pod: the template's <c>serviceAccountName</c> wins over the settings', as in KubeStash,
    /// where the template is the more specific of the two.
    /// </summary>
    private static void ApplyPodSettings(JsonElement? runtimeSettings, PodTemplate? template, V1PodSpec pod, V1ObjectMeta metadata)
    {
        if (runtimeSettings is { ValueKind: JsonValueKind.Object } settings && settings.TryGetProperty("pod", out var given) && given.ValueKind == JsonValueKind.Object)
        {
            V1PodSpec part;
            try
            {
                part = KubernetesJson.Deserialize<V1PodSpec>(given.GetRawText());
            }
            catch (JsonException e)
            {
                throw new FormatException($"spec.fullBackup.runtimeSettings.pod: {e.Message}", e);
            }

            pod.NodeSelector = part.NodeSelector ?? pod.NodeSelector;
            pod.Tolerations = part.Tolerations ?? pod.Tolerations;
            pod.Affinity = part.Affinity ?? pod.Affinity;
            pod.SecurityContext = part.SecurityContext ?? pod.SecurityContext;
            pod.ImagePullSecrets = part.ImagePullSecrets ?? pod.ImagePullSecrets;
            pod.PriorityClassName = part.PriorityClassName ?? pod.PriorityClassName;
            pod.RuntimeClassName = part.RuntimeClassName ?? pod.RuntimeClassName;
            pod.TopologySpreadConstraints = part.TopologySpreadConstraints ?? pod.TopologySpreadConstraints;
            pod.NodeName = part.NodeName ?? pod.NodeName;
            pod.AutomountServiceAccountToken = part.AutomountServiceAccountToken ?? pod.AutomountServiceAccountToken;
            if (template?.ServiceAccountName is null && part.ServiceAccountName is { Length: > 0 } account) pod.ServiceAccountName = account;
            // KubeStash's podLabels and podAnnotations: ours stay.
            if (given.TryGetProperty("podLabels", out var podLabels) && podLabels.ValueKind == JsonValueKind.Object)
            {
                foreach (var label in podLabels.EnumerateObject()) metadata.Labels.TryAdd(label.Name, label.Value.GetString() ?? "");
            }

            if (given.TryGetProperty("podAnnotations", out var podAnnotations) && podAnnotations.ValueKind == JsonValueKind.Object)
            {
                metadata.Annotations ??= new Dictionary<string, string>();
                foreach (var annotation in podAnnotations.EnumerateObject()) metadata.Annotations.TryAdd(annotation.Name, annotation.Value.GetString() ?? "");
            }
        }
    }
}
