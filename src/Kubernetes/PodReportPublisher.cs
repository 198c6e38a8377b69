using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Actors.Ports;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The sidecar's half of the report channel: writes its <see cref="ArchivingReport"/> as JSON into the
/// <see cref="SidecarContainer.ReportAnnotation"/> annotation of its own pod (named by the downward API's
/// <c>POD_NAME</c>/<c>POD_NAMESPACE</c>), where <see cref="KubernetesWorkloads.ReportAsync"/> reads it. A merge patch
/// of one annotation: it needs only <c>patch</c> on pods, and touches nothing else of the pod.
/// </summary>
public sealed class PodReportPublisher(IKubernetes client, string @namespace, string pod)
{
    public const string ReportAnnotation = SidecarContainer.ReportAnnotation;

    /// <summary>From the pod's environment when running in a cluster; null elsewhere (nothing to publish to).</summary>
    public static PodReportPublisher? FromEnvironment()
    {
        var pod = Environment.GetEnvironmentVariable("POD_NAME");
        var ns = Environment.GetEnvironmentVariable("POD_NAMESPACE");
        if (string.IsNullOrEmpty(pod) || string.IsNullOrEmpty(ns) || !KubernetesClientConfiguration.IsInCluster()) return null;
        return new PodReportPublisher(new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig()), ns, pod);
    }

    public async Task PublishAsync(ArchivingReport report, CancellationToken cancellation = default)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { [ReportAnnotation] = JsonSerializer.Serialize(report, ReportJson.Options) },
            },
        };
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), pod, @namespace, cancellationToken: cancellation);
    }
}
