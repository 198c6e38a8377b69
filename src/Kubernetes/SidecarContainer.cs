using System.Globalization;
using Archiver.Actors.Ports;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The <c>archiver sidecar</c> container for one database: its arguments come from the archiving spec, the storage
/// backend and the database's uid; its credentials only from secrets (KubeDB's <c>{database}-auth</c> secret for
/// MongoDB, the BackupStorage's secret for S3), never from arguments.
/// </summary>
internal static class SidecarContainer
{
    /// <summary>The pod annotation the sidecar publishes its <see cref="ArchivingReport"/> in, as JSON.</summary>
    public const string ReportAnnotation = "archiver.kubedb.com/report";

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
            SecretEnv("MONGODB_USERNAME", $"{name}-auth", "username"),
            SecretEnv("MONGODB_PASSWORD", $"{name}-auth", "password"),
            // The kubelet expands $(VAR) from the variables above; the sidecar talks to its own pod's member.
            new V1EnvVar { Name = "ARCHIVER_MONGODB_URI", Value = "mongodb://$(MONGODB_USERNAME):$(MONGODB_PASSWORD)@localhost:27017/?directConnection=true&authSource=admin" },
            // Where the sidecar publishes its report (ReportAnnotation on its own pod). apiVersion is spelled out as the
            // API server would default it, so the container reads back equal to what was written.
            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.name" } } },
            new V1EnvVar { Name = "POD_NAMESPACE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } } },
        ];
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
            // The volume itself must be mounted at MountPath by the database's pod template (not done here).
            args.AddRange(["--storage-folder", string.IsNullOrEmpty(local.SubPath) ? local.MountPath : $"{local.MountPath.TrimEnd('/')}/{local.SubPath}"]);
        }

        return new V1Container
        {
            Name = options.ContainerName,
            Image = options.SidecarImage,
            Args = args,
            Env = env,
        };
    }

    private static V1EnvVar SecretEnv(string name, string secret, string key) =>
        new V1EnvVar { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = key, Name = secret } } };
}
