using System.Collections.Concurrent;
using System.Net;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.Network;
using Archiver.Emulators.Kubernetes;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>What the kubelet's pod workers share: the API server, the caches it watches, the network, the images it knows.</summary>
internal sealed class KubeletServices
{
    private readonly ConcurrentDictionary<string, string> _tokens = new();

    public required ApiClient Api { get; init; }

    public required KubernetesEmulator ApiServer { get; init; }

    public required IPEndPoint ApiEndPoint { get; init; }

    public required string CaPem { get; init; }

    public required Informer Secrets { get; init; }

    public required Informer ConfigMaps { get; init; }

    public required Informer Claims { get; init; }

    public required Informer ServiceAccounts { get; init; }

    public required ClusterNetwork Network { get; init; }

    public required ImageCatalog Images { get; init; }

    public required IMongoMembers Members { get; init; }

    public required string ArchiverAssembly { get; init; }

    public required string DotnetHost { get; init; }

    public required string StateFolder { get; init; }

    public required string StandInId { get; init; }

    public required StandInLog Log { get; init; }

    public required TimeProvider Time { get; init; }

    public required TimeSpan RestartBackoff { get; init; }

    /// <summary>Mount points made on the machine for containers (removed when the stand-in stops).</summary>
    public ConcurrentDictionary<string, bool> CreatedMountPoints { get; } = new();

    public string NodeName => "standin-node";

    /// <summary>The folder behind a bound claim's volume: it outlives pods, and goes with its claim.</summary>
    public string VolumeFolder(string volumeName) => Path.Combine(StateFolder, "volumes", volumeName);

    /// <summary>The pod's own service account token, issued once per pod as the kubelet requests a bound token for each.</summary>
    public string TokenFor(PodContext pod) =>
        _tokens.GetOrAdd(pod.Uid, _ => ApiServer.IssueServiceAccountToken(pod.Namespace, ContainerEnvironment.ServiceAccountName(pod.Pod)));

    public void Forget(string podUid) => _tokens.TryRemove(podUid, out _);
}

/// <summary>The KubeDB stand-in's side of a <c>mongodb</c> container: the member of its database's replica set that the pod is.</summary>
internal interface IMongoMembers
{
    /// <summary>
    /// Starts the pod's member on <paramref name="address"/>:27017, keeping its data in <paramref name="dataDirectory"/>
    /// (the folder the container has at its dbPath; null: none mounted there); throws <see cref="ContainerConfigException"/>
    /// when the pod is no member.
    /// </summary>
    Task<IContainerRun> StartAsync(System.Text.Json.Nodes.JsonObject pod, IPAddress address, string? dataDirectory);
}
