using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What admission is asked about, as kube-apiserver's <c>admission.Attributes</c> carry it
/// (k8s.io/apiserver <c>pkg/admission/interfaces.go</c>): the kind and resource, the subresource, the operation
/// (<c>CREATE</c>, <c>UPDATE</c>, <c>DELETE</c>), where, the object as it would be stored and the one it replaces, who
/// asks, whether it is a dry run, and the request's options (<c>CreateOptions</c>, <c>UpdateOptions</c>,
/// <c>PatchOptions</c>, <c>DeleteOptions</c>).
/// </summary>
internal sealed record AdmissionRequest(
    ResourceType Type, string Subresource, string Operation, string Namespace, string Name, JsonObject? Object, JsonObject? OldObject, UserInfo User, bool DryRun, JsonObject Options);
