using System.Text.Json;
using Archiver.Kubernetes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Admission;

/// <summary>
/// <c>POST /mutate/pod</c>: the mutating admission webhook for pods (CREATE) of KubeDB's MongoDBs, served beside
/// <see cref="MongoDBMutatingWebhook"/> on the node's webhook listener (deploy/statefulset/webhook.yaml selects only
/// KubeDB's pods by label). It adds the archiving sidecar to each pod of an archived database as the pod is admitted
/// (<see cref="SidecarInjection"/>), as Istio's sidecar injector does (istio.io/latest/docs/setup/additional-setup/sidecar-injection),
/// so a StatefulSet template KubeDB's operator rewrote without the sidecar still yields pods with it. It never
/// refuses a pod: when it cannot decide, the pod is created unchanged with a warning, and the template path
/// (<see cref="KubernetesWorkloads.EnsureArchivingAsync"/>) stays what archives it.
/// </summary>
public static class PodMutatingWebhook
{
    public const string Path = "/mutate/pod";

    internal static async Task<AdmissionResponse> RespondAsync(string uid, AdmissionRequest request, PodAdmission admission, ILogger log, CancellationToken cancellation)
    {
        if (request.Operation != "CREATE" || request.Kind?.Kind != V1Pod.KubeKind || request.Object is not { ValueKind: JsonValueKind.Object } json)
        {
            return new AdmissionResponse { Uid = uid };
        }

        try
        {
            var pod = KubernetesJson.Deserialize<V1Pod>(json.GetRawText());
            // On CREATE the pod may leave its namespace to the request's (a StatefulSet's pods do).
            var @namespace = string.IsNullOrEmpty(pod.Metadata?.NamespaceProperty) ? request.Namespace ?? "default" : pod.Metadata.NamespaceProperty;
            var decision = await admission.DecideAsync(pod, @namespace, cancellation);
            if (decision.Patch is null)
            {
                log.LogDebug("Pod webhook: {Namespace}/{Pod} admitted unchanged: {Why}", @namespace, pod.Metadata?.Name ?? pod.Metadata?.GenerateName, decision.Why);
                return new AdmissionResponse { Uid = uid };
            }

            log.LogInformation("Pod webhook: {Namespace}/{Pod}: {Why}", @namespace, pod.Metadata?.Name ?? pod.Metadata?.GenerateName, decision.Why);
            return AdmissionResponse.Patched(uid, decision.Patch);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            // Whatever went wrong (a pod it cannot read, a store that failed or timed out), the pod is created.
            log.LogWarning(e, "Pod webhook: {Namespace}/{Uid} left as given", request.Namespace, uid);
            return new AdmissionResponse
            {
                Uid = uid,
                Warnings = [$"archiver: the archiving sidecar was not injected at admission ({e.Message}); the pod has it only if its StatefulSet template does"],
            };
        }
    }
}
