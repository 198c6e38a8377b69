namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// Why a container cannot be created (yet): the waiting reason and message its status shows, as the kubelet's
/// <c>CreateContainerConfigError</c> (a missing secret or key), <c>ErrImagePull</c> (an image the stand-in cannot run)
/// or <c>ContainerCreating</c> (a volume not ready). The kubelet tries again at its next sync.
/// </summary>
internal sealed class ContainerConfigException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
