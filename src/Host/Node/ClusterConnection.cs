using k8s;

namespace Archiver.Host.Node;

/// <summary>
/// How a node reaches the Kubernetes cluster whose resources and workloads it drives: a kubeconfig file, or the
/// service account of the pod it runs in.
/// </summary>
public sealed record ClusterConnection
{
    /// <summary>The kubeconfig file (its current context); ignored when <see cref="InCluster"/>.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Use the pod's service account token and the API server the pod's environment names.</summary>
    public bool InCluster { get; init; }

    /// <summary>The client configuration this connection names: the pod's service account, or the kubeconfig file.</summary>
    public KubernetesClientConfiguration ClientConfiguration() => InCluster
        ? KubernetesClientConfiguration.InClusterConfig()
        : KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig ?? throw new ArgumentException("a kubeconfig file or in-cluster configuration is required"));

    /// <summary>The image of the archiving sidecar injected into databases' StatefulSets.</summary>
    public string SidecarImage { get; init; } = new Kubernetes.KubernetesWorkloadsOptions().SidecarImage;
}
