using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Admission;

/// <summary>
/// <c>POST /mutate/claim</c>: the mutating admission webhook for PersistentVolumeClaims (CREATE) of KubeDB's MongoDBs,
/// served beside <see cref="MongoDBMutatingWebhook"/> on the node's webhook listener (deploy/statefulset/webhook.yaml
/// selects only KubeDB's claims by label). It makes a restored database's data claims from its base's VolumeSnapshot
/// (<see cref="ClaimAdmission"/>), and refuses them for now while the restore has not chosen its base. When it cannot
/// decide (the database unreadable, the node failing), the claim is admitted unchanged with a warning: a restore from a
/// snapshot then finds empty volumes and fails before writing, saying so (RestoreExecutor).
/// </summary>
public static class ClaimMutatingWebhook
{
    public const string Path = "/mutate/claim";

    internal static async Task<AdmissionResponse> RespondAsync(string uid, AdmissionRequest request, ClaimAdmission admission, ILogger log, CancellationToken cancellation)
    {
        if (request.Operation != "CREATE" || request.Kind?.Kind != V1PersistentVolumeClaim.KubeKind || request.Object is not { ValueKind: JsonValueKind.Object } json)
        {
            return new AdmissionResponse { Uid = uid };
        }

        try
        {
            var claim = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(json.GetRawText());
            var @namespace = string.IsNullOrEmpty(claim.Metadata?.NamespaceProperty) ? request.Namespace ?? "default" : claim.Metadata.NamespaceProperty;
            var decision = await admission.DecideAsync(claim, @namespace, cancellation);
            if (decision.Refused)
            {
                log.LogInformation("Claim webhook: {Namespace}/{Claim} refused for now: {Why}", @namespace, claim.Metadata?.Name, decision.Why);
                return new AdmissionResponse { Uid = uid, Allowed = false, Status = new AdmissionStatus { Code = 403, Reason = "Forbidden", Message = $"archiver: {decision.Why}" } };
            }

            if (decision.Patch is null)
            {
                log.LogDebug("Claim webhook: {Namespace}/{Claim} admitted unchanged: {Why}", @namespace, claim.Metadata?.Name, decision.Why);
                return new AdmissionResponse { Uid = uid };
            }

            log.LogInformation("Claim webhook: {Namespace}/{Claim}: {Why}", @namespace, claim.Metadata?.Name, decision.Why);
            return AdmissionResponse.Patched(uid, decision.Patch);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            log.LogWarning(e, "Claim webhook: {Namespace}/{Uid} left as given", request.Namespace, uid);
            return new AdmissionResponse { Uid = uid, Warnings = [$"archiver: the claim's data source was not decided ({e.Message}); a restore from a volume snapshot will refuse an empty volume"] };
        }
    }
}
