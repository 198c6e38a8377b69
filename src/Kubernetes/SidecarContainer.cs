using System.Globalization;
using Archiver.Actors.Ports;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The <c>archiver sidecar</c> container for one database: its arguments come from the archiving spec, the storage
/// backend and the database's uid; its credentials only from secrets (KubeDB's auth secret for MongoDB,
/// <c>spec.authSecret.name</c> or <c>{database}-auth</c>, and its client certificate when it runs TLS; the
/// BackupStorage's secret for S3), never from arguments.
/// </summary>
internal static class SidecarContainer
{
    /// <summary>The pod annotation the sidecar publishes its <see cref="ArchivingReport"/> in, as JSON.</summary>
    public const string ReportAnnotation = "archiver.kubedb.com/report";

    /// <summary>The pod volume a local-folder BackupStorage is mounted from, in the sidecar only.</summary>
    public const string StorageVolume = "archiver-storage";

    /// <summary>The pod volume of a TLS database's client certificate secret, in the sidecar only.</summary>
    public const string TlsVolume = "archiver-mongodb-tls";

    /// <summary>Where the sidecar reads the client certificate (<c>--tls-dir</c>).</summary>
    public const string TlsMountPath = "/var/run/archiver/mongodb-tls";

    /// <summary>Every pod volume the sidecar brings, by name: what stopping the archiving takes out again.</summary>
    public static readonly IReadOnlySet<string> OwnVolumes = new HashSet<string>(StringComparer.Ordinal) { StorageVolume, TlsVolume };

    /// <summary>The volumes the sidecar needs in the pod: the storage's (see <see cref="Volume"/>) and a TLS database's client certificate.</summary>
    public static IReadOnlyList<V1Volume> Volumes(MongoDB database, BackupStorage storage)
    {
        List<V1Volume> volumes = [];
        if (Volume(storage) is { } backups) volumes.Add(backups);
        // Optional: a missing or misnamed secret fails the sidecar (which says so), never the database's own container.
        if (database.TlsClientSecretName() is { } tls) volumes.Add(new V1Volume { Name = TlsVolume, Secret = new V1SecretVolumeSource { SecretName = tls, Optional = true } });
        return volumes;
    }

    /// <summary>
    /// The volume a local-folder BackupStorage names (its <c>persistentVolumeClaim</c>, <c>hostPath</c> or
    /// <c>nfs</c>, kept as the storage gives it), or null: S3, or a local storage that names none (then the folder
    /// must already be in the pod).
    /// </summary>
    public static V1Volume? Volume(BackupStorage storage)
    {
        if (storage.Spec?.Storage?.Local is not { } local) return null;
        var volume = new V1Volume { Name = StorageVolume };
        if (local.PersistentVolumeClaim is { } claim) volume.PersistentVolumeClaim = k8s.KubernetesJson.Deserialize<V1PersistentVolumeClaimVolumeSource>(claim.GetRawText());
        else if (local.HostPath is { } host) volume.HostPath = k8s.KubernetesJson.Deserialize<V1HostPathVolumeSource>(host.GetRawText());
        else if (local.Nfs is { } nfs) volume.Nfs = k8s.KubernetesJson.Deserialize<V1NFSVolumeSource>(nfs.GetRawText());
        else return null;
        return volume;
    }

    /// <summary>The database incarnation a sidecar archives (its <c>--database-uid</c>), or null if it names none.</summary>
    public static string? DatabaseUidOf(V1Container sidecar)
    {
        var args = sidecar.Args ?? [];
        var at = args.IndexOf("--database-uid");
        return at >= 0 && at + 1 < args.Count && args[at + 1].Length > 0 ? args[at + 1] : null;
    }

    public static V1Container Build(KubernetesWorkloadsOptions options, MongoDB database, BackupStorage storage, ArchivingSpec spec)
    {
        var name = database.Metadata.Name;
        List<string> args =
        [
            "sidecar",
            "--prefix", spec.Prefix,
            "--database-uid", database.Metadata.Uid ?? "",
            "--chunk-max-age", $"{(long)spec.ChunkMaxAge.TotalMilliseconds}ms",
            "--chunk-max-size", spec.ChunkMaxSize.ToString(CultureInfo.InvariantCulture),
        ];
        List<V1EnvVar> env =
        [
            SecretEnv("MONGODB_USERNAME", database.AuthSecretName(), MongoDB.AuthUsernameKey),
            SecretEnv("MONGODB_PASSWORD", database.AuthSecretName(), MongoDB.AuthPasswordKey),
            // The sidecar talks to its own pod's member, and takes the credentials from the two variables above
            // (not spliced into the URI, where a password with '@', ':' or '/' would break it).
            new V1EnvVar { Name = "ARCHIVER_MONGODB_URI", Value = "mongodb://localhost:27017/?directConnection=true" },
            // Where the sidecar publishes its report (ReportAnnotation on its own pod). apiVersion is spelled out as the
            // API server would default it, so the container reads back equal to what was written.
            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.name" } } },
            new V1EnvVar { Name = "POD_NAMESPACE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } } },
        ];
        // The storage's volume (see Volume) at its mountPath, in this container alone: the database never sees it.
        List<V1VolumeMount> mounts = Volume(storage) is null ? [] : [new V1VolumeMount { Name = StorageVolume, MountPath = storage.Spec!.Storage!.Local!.MountPath }];
        if (database.TlsClientSecretName() is not null)
        {
            // A TLS database (spec.sslMode) takes only TLS clients with a certificate from its CA: KubeDB's client
            // certificate, mounted (not variables), so a renewal reaches the running sidecar, which reconnects with it.
            args.AddRange(["--tls-dir", TlsMountPath]);
            mounts.Add(new V1VolumeMount { Name = TlsVolume, MountPath = TlsMountPath, ReadOnlyProperty = true });
        }

        var backend = storage.Spec?.Storage;
        if (backend?.S3 is { } s3)
        {
            args.AddRange(["--s3-endpoint", s3.Endpoint, "--s3-bucket", s3.Bucket]);
            if (!string.IsNullOrEmpty(s3.SecretName))
            {
                env.Add(SecretEnv("AWS_ACCESS_KEY_ID", s3.SecretName, "AWS_ACCESS_KEY_ID"));
                env.Add(SecretEnv("AWS_SECRET_ACCESS_KEY", s3.SecretName, "AWS_SECRET_ACCESS_KEY"));
            }
        }
        else if (backend?.Local is { } local)
        {
            args.AddRange(["--storage-folder", string.IsNullOrEmpty(local.SubPath) ? local.MountPath : $"{local.MountPath.TrimEnd('/')}/{local.SubPath}"]);
        }

        return new V1Container
        {
            Name = options.ContainerName,
            Image = options.SidecarImage,
            Args = args,
            Env = env,
            VolumeMounts = mounts.Count == 0 ? null : mounts,
        };
    }

    private static V1EnvVar SecretEnv(string name, string secret, string key) =>
        new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = key, Name = secret } } };
}
