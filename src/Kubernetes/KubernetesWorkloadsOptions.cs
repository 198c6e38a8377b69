namespace Archiver.Kubernetes;

public sealed record KubernetesWorkloadsOptions
{
    /// <summary>The archiver image the sidecar runs (the same image as the node, entry point <c>archiver</c>).</summary>
    public string SidecarImage { get; init; } = "ghcr.io/kubedb/archiver:latest";

    /// <summary>Name of the injected container; also how it is found again to update or remove it.</summary>
    public string ContainerName { get; init; } = "archiver";

    /// <summary>How many times a StatefulSet write is retried after a 409 (someone else changed it in between).</summary>
    public int ConflictRetries { get; init; } = 5;
}
