using System.Globalization;
using Archiver.Actors.Ports;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The <c>archiver sidecar</c> container for one database: its arguments come from the archiving spec and the
/// database's uid, the storage from the BackupStorage as the node reads it (<see cref="SidecarStorage"/>), how it runs
/// from the archiver's runtime settings (<see cref="SidecarRuntime"/>); its credentials only from secrets (KubeDB's
/// auth secret for MongoDB, <c>spec.authSecret.name</c> or <c>{database}-auth</c>, and its client certificate when it
/// runs TLS; the storage's secrets as mounted copies), never from arguments.
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

    /// <summary>
    /// The sidecar's <c>/tmp</c>: its root file system is read-only (<see cref="SidecarRuntime.RestrictedSecurityContext"/>),
    /// and the .NET runtime keeps its diagnostics sockets in the temporary folder.
    /// </summary>
    public const string TmpVolume = "archiver-tmp";

    /// <summary>
    /// The sidecar's /metrics port (docs/metrics.md), named for deploy/monitoring/podmonitor.yaml (a port name is at most
    /// 15 characters). Not one KubeDB's containers use: mongod 27017, its exporter 56790.
    /// </summary>
    public const int MetricsPort = 9108;

    public const string MetricsPortName = "archiver-prom";

    /// <summary>Whether a pod volume is one the sidecar brings: what stopping the archiving takes out again.</summary>
    public static bool IsOwnVolume(string name) =>
        name is StorageVolume or TlsVolume or TmpVolume || name.StartsWith(SidecarStorage.VolumePrefix, StringComparison.Ordinal);

    /// <summary>
    /// The volumes the sidecar needs in the pod: the storage's (see <see cref="Volume"/>), the copies of the storage's
    /// secrets, a TLS database's client certificate, and its <c>/tmp</c>.
    /// </summary>
    public static IReadOnlyList<V1Volume> Volumes(MongoDB database, BackupStorage storage, IReadOnlyList<SidecarStorage.Copy> copies)
    {
        List<V1Volume> volumes = [];
        if (Volume(storage) is { } backups) volumes.Add(backups);
        volumes.AddRange(copies.Select(SidecarStorage.Volume));
        // Optional: a missing or misnamed secret fails the sidecar (which says so), never the database's own container.
        if (database.TlsClientSecretName() is { } tls) volumes.Add(new V1Volume { Name = TlsVolume, Secret = new V1SecretVolumeSource { SecretName = tls, Optional = true } });
        volumes.Add(new V1Volume { Name = TmpVolume, EmptyDir = new V1EmptyDirVolumeSource() });
        return volumes;
    }

    /// <summary>
    /// The volume a local-folder BackupStorage names (its <c>persistentVolumeClaim</c>, <c>hostPath</c> or
    /// <c>nfs</c>, kept as the storage gives it), or null: S3, or a local storage that names none (which a node in a
    /// cluster refuses, see <c>LocalStorageInCluster</c> in src/Messages/Validation).
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

    public static V1Container Build(KubernetesWorkloadsOptions options, MongoDB database, BackupStorage storage, IReadOnlyList<SidecarStorage.Copy> copies, ArchivingSpec spec, SidecarRuntime runtime)
    {
        List<string> args =
        [
            "sidecar",
            "--prefix", spec.Prefix,
            "--database-uid", database.Metadata.Uid ?? "",
            // Its name, in the pod's namespace: the sidecar stops publishing once it is deleted (DatabaseFence).
            "--database", database.Metadata.Name,
            "--chunk-max-age", $"{(long)spec.ChunkMaxAge.TotalMilliseconds}ms",
            "--chunk-max-size", spec.ChunkMaxSize.ToString(CultureInfo.InvariantCulture),
            "--idle-flush", $"{(long)(spec.IdleFlush ?? ArchivingSpec.DefaultIdleFlush).TotalMilliseconds}ms",
            // Every interface of the pod, so Prometheus reaches it at the pod's address.
            "--metrics-host", "0.0.0.0",
            "--metrics-port", MetricsPort.ToString(CultureInfo.InvariantCulture),
        ];
        // The sidecar talks to its own pod's member.
        var env = Environment(database, storage, "mongodb://localhost:27017/?directConnection=true", runtime);

        // The storage's volume (see Volume) at its mountPath, in this container alone: the database never sees it.
        List<V1VolumeMount> mounts = Volume(storage) is null ? [] : [new V1VolumeMount { Name = StorageVolume, MountPath = storage.Spec!.Storage!.Local!.MountPath }];
        mounts.AddRange(copies.Select(SidecarStorage.Mount));
        if (database.TlsClientSecretName() is not null)
        {
            // A TLS database (spec.sslMode) takes only TLS clients with a certificate from its CA: KubeDB's client
            // certificate, mounted (not variables), so a renewal reaches the running sidecar, which reconnects with it.
            args.AddRange(["--tls-dir", TlsMountPath]);
            mounts.Add(new V1VolumeMount { Name = TlsVolume, MountPath = TlsMountPath, ReadOnlyProperty = true });
        }

        mounts.Add(new V1VolumeMount { Name = TmpVolume, MountPath = "/tmp" });
        return new V1Container
        {
            Name = options.ContainerName,
            Image = options.SidecarImage,
            Args = args,
            Env = env,
            EnvFrom = runtime.EnvFrom.Count == 0 ? null : [.. runtime.EnvFrom],
            VolumeMounts = mounts,
            Ports = [new V1ContainerPort { Name = MetricsPortName, ContainerPort = MetricsPort, Protocol = "TCP" }],
            Resources = runtime.Resources,
            SecurityContext = runtime.SecurityContext,
        };
    }

    /// <summary>
    /// The variables every container Archiver runs for a database gets (the sidecar, a backup Job's): the credentials
    /// from KubeDB's auth secret, given apart from <paramref name="mongoUri"/> (spliced into it, a password with '@', ':'
    /// or '/' would break it); the storage as the node reads it (its secrets are the mounted copies, under
    /// SidecarStorage.SecretsRoot); the pod's name and namespace (where the sidecar reports, where a Job works), their
    /// apiVersion spelled out as the API server would default it, so the container reads back equal to what was written.
    /// The archiver's runtime settings' own variables come after these, never in place of one of them.
    /// </summary>
    public static List<V1EnvVar> Environment(MongoDB database, BackupStorage storage, string mongoUri, SidecarRuntime runtime)
    {
        List<V1EnvVar> env =
        [
            SecretEnv("MONGODB_USERNAME", database.AuthSecretName(), MongoDB.AuthUsernameKey),
            SecretEnv("MONGODB_PASSWORD", database.AuthSecretName(), MongoDB.AuthPasswordKey),
            new V1EnvVar { Name = "ARCHIVER_MONGODB_URI", Value = mongoUri },
            new V1EnvVar { Name = SidecarStorage.EnvironmentVariable, Value = SidecarStorage.Json(storage) },
            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.name" } } },
            new V1EnvVar { Name = "POD_NAMESPACE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } } },
        ];
        env.AddRange(runtime.Env.Where(e => !env.Exists(own => own.Name == e.Name)));
        return env;
    }

    /// <summary>
    /// Only what we set, compared as an API server gives it back: it fills in defaults (imagePullPolicy,
    /// terminationMessagePath, ...) that a whole-container comparison would always see as a difference, and writes
    /// quantities in its own spelling; a template rewritten at every look would roll the database's pods every time.
    /// </summary>
    public static bool Same(V1Container running, V1Container wanted) =>
        running.Image == wanted.Image
        && (running.Args ?? []).SequenceEqual(wanted.Args ?? [])
        && k8s.KubernetesJson.Serialize(running.Env ?? []) == k8s.KubernetesJson.Serialize(wanted.Env ?? [])
        && k8s.KubernetesJson.Serialize(running.EnvFrom ?? []) == k8s.KubernetesJson.Serialize(wanted.EnvFrom ?? [])
        && (running.VolumeMounts ?? []).Select(m => (m.Name, m.MountPath, m.ReadOnlyProperty ?? false))
            .SequenceEqual((wanted.VolumeMounts ?? []).Select(m => (m.Name, m.MountPath, m.ReadOnlyProperty ?? false)))
        && SidecarRuntime.SameResources(running.Resources, wanted.Resources)
        && k8s.KubernetesJson.Serialize(running.SecurityContext) == k8s.KubernetesJson.Serialize(wanted.SecurityContext);

    private static V1EnvVar SecretEnv(string name, string secret, string key) =>
        new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = key, Name = secret } } };
}
