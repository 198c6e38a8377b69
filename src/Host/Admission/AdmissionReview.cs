using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Archiver.Host.Admission;

/// <summary>
/// The <c>admission.k8s.io/v1</c> AdmissionReview the API server posts to a webhook, reduced to the fields a mutating
/// webhook reads and writes (KubernetesClient ships no admission types: they are not in the API's OpenAPI document).
/// </summary>
public sealed record AdmissionReview
{
    public const string ApiVersionV1 = "admission.k8s.io/v1";

    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("request")] public AdmissionRequest? Request { get; init; }
    [JsonPropertyName("response")] public AdmissionResponse? Response { get; init; }
}

public sealed record AdmissionRequest
{
    [JsonPropertyName("uid")] public string? Uid { get; init; }
    [JsonPropertyName("kind")] public AdmissionKind? Kind { get; init; }
    [JsonPropertyName("namespace")] public string? Namespace { get; init; }
    [JsonPropertyName("operation")] public string? Operation { get; init; }
    [JsonPropertyName("object")] public JsonElement? Object { get; init; }
    /// <summary>The object as it was, on UPDATE (and DELETE).</summary>
    [JsonPropertyName("oldObject")] public JsonElement? OldObject { get; init; }
}

public sealed record AdmissionKind
{
    [JsonPropertyName("group")] public string? Group { get; init; }
    [JsonPropertyName("version")] public string? Version { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
}

public sealed record AdmissionResponse
{
    [JsonPropertyName("uid")] public required string Uid { get; init; }
    [JsonPropertyName("allowed")] public bool Allowed { get; init; } = true;
    [JsonPropertyName("patchType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PatchType { get; init; }
    /// <summary>A JSON Patch (RFC 6902), base64-encoded.</summary>
    [JsonPropertyName("patch"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Patch { get; init; }
    /// <summary>Why a request is refused (<see cref="Allowed"/> false): a metav1.Status, shown to the client.</summary>
    [JsonPropertyName("status"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AdmissionStatus? Status { get; init; }
    /// <summary>Shown to the client (kubectl prints them); used to say why nothing was set, never to refuse.</summary>
    [JsonPropertyName("warnings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Warnings { get; init; }

    /// <summary>Admits the object with <paramref name="patch"/> applied (a JSON Patch, sent base64-encoded).</summary>
    public static AdmissionResponse Patched(string uid, JsonArray patch) =>
        new() { Uid = uid, PatchType = "JSONPatch", Patch = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString())) };
}

public sealed record AdmissionStatus
{
    [JsonPropertyName("code")] public int Code { get; init; }
    [JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Reason { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    /// <summary>Each field refused, as the API server's own validation reports them (<c>StatusDetails.causes</c>).</summary>
    [JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AdmissionStatusDetails? Details { get; init; }
}
