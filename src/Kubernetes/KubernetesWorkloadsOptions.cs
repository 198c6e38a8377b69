namespace Archiver.Kubernetes;

public sealed record KubernetesWorkloadsOptions
{
    /// <summary>The archiver image the sidecar runs (the same image as the node, entry point <c>archiver</c>).</summary>
    public string SidecarImage { get; init; } = "ghcr.io/kubedb/archiver:latest";

    /// <summary>Name of the injected container; also how it is found again to update or remove it.</summary>
    public string ContainerName { get; init; } = "archiver";

    /// <summary>The ClusterRole the sidecar needs (deploy/statefulset/rbac.yaml), bound to the database pods' service account.</summary>
    public string SidecarClusterRole { get; init; } = "archiver-sidecar";

    /// <summary>
    /// The ClusterRole a volume-snapshot backup Job needs in the database's namespace (deploy/statefulset/rbac.yaml:
    /// VolumeSnapshots, the claim it snapshots, the Lease recording its fsync lock), bound to the Job's service account.
    /// </summary>
    public string VolumeSnapshotterClusterRole { get; init; } = "archiver-volume-snapshotter";

    /// <summary>How often a running backup Job is looked at.</summary>
    public TimeSpan JobPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times a StatefulSet or Secret write is retried after a 409 (someone else changed it in between).</summary>
    public int ConflictRetries { get; init; } = 5;

    /// <summary>
    /// Why this node cannot write in a folder (a local storage's mountPath), or null when it can; null here means
    /// the node's own file system (<c>LocalStorageInCluster.FolderProblem</c>). A test stands in for a mounted volume.
    /// </summary>
    public Func<string, string?>? LocalFolderProblem { get; init; }
}
