using System.Net;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>What a pod's containers are made from: the pod, its address, folder and resolved volumes, and the cluster's objects.</summary>
internal sealed class PodContext(JsonObject pod, IPAddress address, string folder, KubeletServices services)
{
    public JsonObject Pod { get; set; } = pod;

    public IPAddress Address { get; } = address;

    public string Folder { get; } = folder;

    public KubeletServices Services { get; } = services;

    public string Namespace => J.Namespace(Pod);

    public string Name => J.Name(Pod);

    public string Uid => J.Uid(Pod);

    /// <summary>Volume name → the folder (or file) standing in for it on this machine.</summary>
    public Dictionary<string, string> Volumes { get; } = [];

    /// <summary>The service account's own token folder (token, ca.crt, namespace), when it is mounted.</summary>
    public string? ServiceAccountFolder { get; set; }
}
