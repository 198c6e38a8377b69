using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Host.Admission;

/// <summary>
/// <c>POST /validate/archiver</c>: the validating admission webhook for MongoDBArchivers (CREATE, UPDATE), on the same
/// listener and certificate as the mutating ones (deploy/statefulset/webhook.yaml). It reads the object exactly as
/// <c>archiver validate</c> reads a manifest (<see cref="ManifestReader"/>: unknown fields, types, enums, cron schedules,
/// durations, names, selectors and references) and refuses it with every mistake at once: the message lists them, and
/// <c>status.details.causes</c> carries one per field path, as the API server's own validation answers.
/// An UPDATE is refused only for mistakes it brings: one already in the stored object (admitted while the webhook was
/// down, or before it existed) does not block the edits that follow, such as the node's own finalizer, or the fix of
/// another field; it comes back as a warning. An object being deleted is never refused.
/// </summary>
public static class ArchiverValidatingWebhook
{
    public const string Path = "/validate/archiver";

    internal static AdmissionResponse Respond(string uid, AdmissionRequest request)
    {
        if (request.Operation is not ("CREATE" or "UPDATE") || request.Kind?.Kind != MongoDBArchiver.KindName || request.Object is not { ValueKind: JsonValueKind.Object } json)
        {
            return new AdmissionResponse { Uid = uid };
        }

        if (json.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("deletionTimestamp", out _))
        {
            return new AdmissionResponse { Uid = uid };
        }

        var errors = Errors(json);
        if (errors.Count == 0) return new AdmissionResponse { Uid = uid };
        var before = request.Operation == "UPDATE" && request.OldObject is { ValueKind: JsonValueKind.Object } old
            ? Errors(old).Select(e => (e.Path, e.Reason)).ToHashSet()
            : [];
        var brought = errors.Where(e => !before.Contains((e.Path, e.Reason))).ToList();
        if (brought.Count == 0)
        {
            return new AdmissionResponse { Uid = uid, Warnings = [.. errors.Select(e => $"archiver: {Line(e)} (already so before this change)")] };
        }

        var name = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return new AdmissionResponse
        {
            Uid = uid,
            Allowed = false,
            Status = new AdmissionStatus
            {
                Code = 422,
                Reason = "Invalid",
                Message = $"{MongoDBArchiver.KindName} {name} is invalid: {string.Join("; ", brought.Select(Line))}",
                Details = new AdmissionStatusDetails
                {
                    Name = name,
                    Group = "archiver.kubedb.com",
                    Kind = MongoDBArchiver.KindName,
                    Causes = [.. brought.Select(e => new AdmissionStatusCause { Field = e.Path, Message = e.Reason })],
                },
            },
        };
    }

    /// <summary>
    /// Every mistake <c>archiver validate</c> finds in the object, its status left out: with a status subresource the API
    /// server drops the status of a write to the object itself (it is written, and checked, through <c>/status</c>).
    /// </summary>
    private static List<ManifestError> Errors(JsonElement json)
    {
        var node = JsonNode.Parse(json.GetRawText())!.AsObject();
        node.Remove("status");
        return [.. ManifestReader.Read(node.ToJsonString()).Errors];
    }

    private static string Line(ManifestError e) => e.Path.Length == 0 ? e.Reason : $"{e.Path}: {e.Reason}";
}
