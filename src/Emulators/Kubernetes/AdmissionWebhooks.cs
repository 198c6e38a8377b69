using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins of kube-apiserver (k8s.io/apiserver
/// <c>pkg/admission/plugin/webhook/mutating/dispatcher.go</c>, <c>…/validating/dispatcher.go</c>,
/// <c>…/request/admissionreview.go</c>, <c>…/errors/statuserror.go</c>): for a create, update, patch or delete, every
/// webhook whose rules match (<see cref="WebhookRules"/>) is sent an <c>admission.k8s.io/v1</c> AdmissionReview,
/// mutating ones one after another in the order of their configurations' names and then their order inside it, each
/// seeing the object as the previous ones patched it (JSONPatch), then validating ones with the final object. A denial
/// (<c>allowed: false</c>) refuses the request with the webhook's status as <c>admission webhook "name" denied the
/// request: message</c>; a webhook that cannot be called or answers with an invalid review refuses it with 500
/// <c>Internal error occurred: failed calling webhook "name": …</c> under <c>failurePolicy: Fail</c> (v1's default)
/// and is skipped under <c>Ignore</c>. Dry runs are admitted too (with <c>dryRun: true</c>): v1 configurations can only
/// say <c>sideEffects: None</c> or <c>NoneOnDryRun</c> (<see cref="WebhookConfigurationValidation"/>), so the API
/// server's refusal of a dry run by a webhook with side effects cannot arise. <c>reinvocationPolicy: IfNeeded</c> is
/// not honoured: each mutating webhook is called once. Validating webhooks are called one by one (the API server calls
/// them in parallel; the first refusal in their order is the answer here), and they see the object before defaulting.
/// </summary>
internal sealed class AdmissionWebhooks(ObjectTable table, Func<string, string, IPAddress?>? resolveService)
{
    private const string Group = "admissionregistration.k8s.io";

    /// <summary>The object to store (patched by the mutating webhooks), or a refusal as an <see cref="ApiError"/>.</summary>
    public async Task<JsonObject?> AdmitAsync(AdmissionRequest request, ICollection<string> warnings, CancellationToken cancellation)
    {
        if (WebhookRules.IsExempt(request.Type)) return request.Object;
        var current = request;
        foreach (var hook in Webhooks("mutatingwebhookconfigurations"))
        {
            if (!WebhookRules.Matches(hook, current, Namespace)) continue;
            current = current with { Object = await CallAsync(hook, current, mutating: true, warnings, cancellation).ConfigureAwait(false) };
        }

        foreach (var hook in Webhooks("validatingwebhookconfigurations"))
        {
            if (WebhookRules.Matches(hook, current, Namespace)) await CallAsync(hook, current, mutating: false, warnings, cancellation).ConfigureAwait(false);
        }

        return current.Object;
    }

    private List<JsonObject> Webhooks(string plural) =>
        [.. table.List(new ResourcePath(Group, "v1", plural, "", null, false), _ => true).SelectMany(c => (c["webhooks"] as JsonArray ?? []).OfType<JsonObject>())];

    private JsonObject? Namespace(string name) => table.TryGet(new ObjectKey("", "namespaces", "", name));

    private async Task<JsonObject?> CallAsync(JsonObject hook, AdmissionRequest request, bool mutating, ICollection<string> warnings, CancellationToken cancellation)
    {
        var name = ObjectTable.Text(hook["name"]);
        var uid = Guid.NewGuid().ToString();
        var timeout = hook["timeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var seconds) ? seconds : 10;
        JsonObject response;
        JsonArray? patch;
        try
        {
            var review = await WebhookTransport.PostAsync(name, hook["clientConfig"] as JsonObject ?? [], timeout, Review(uid, request), Resolve, cancellation).ConfigureAwait(false);
            response = Verified(uid, mutating, review);
            foreach (var warning in ObjectTable.Strings(response["warnings"])) warnings.Add(warning);
            if (response["allowed"] is not JsonValue allowed || !allowed.TryGetValue<bool>(out var yes) || !yes) throw Denied(name, response["status"] as JsonObject);
            patch = Patch(response);
        }
        catch (WebhookCallFailed e)
        {
            if (ObjectTable.Text(hook["failurePolicy"]) == "Ignore") return request.Object;
            throw InternalError($"failed calling webhook \"{name}\": {e.Message}");
        }

        if (patch is null || patch.Count == 0) return request.Object;
        if (request.Object is null) throw InternalError($"admission webhook \"{name}\" attempted to modify the object, which is not supported for this operation");
        try
        {
            return Patches.JsonPatch(request.Object, patch) as JsonObject ?? throw InternalError("the patched object is not a JSON object");
        }
        catch (ApiError e) when (e.Code != 500)
        {
            throw InternalError(e.Message);
        }
    }

    /// <summary>The response, if it is one the API server accepts (k8s.io/apiserver <c>…/webhook/request/admissionreview.go</c> VerifyAdmissionResponse).</summary>
    private static JsonObject Verified(string uid, bool mutating, JsonObject review)
    {
        static WebhookCallFailed Invalid(string why) => new($"received invalid webhook response: {why}");
        if (review["response"] is not JsonObject response) throw Invalid("webhook response was absent");
        var answered = ObjectTable.Text(response["uid"]);
        if (answered != uid) throw Invalid($"expected response.uid=\"{uid}\", got \"{answered}\"");
        var apiVersion = ObjectTable.Text(review["apiVersion"]);
        var kind = ObjectTable.Text(review["kind"]);
        if (apiVersion != "admission.k8s.io/v1" || kind != "AdmissionReview")
        {
            throw Invalid($"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {apiVersion}, Kind={kind}");
        }

        var hasPatch = ObjectTable.Text(response["patch"]).Length > 0;
        var hasPatchType = response["patchType"] is JsonValue;
        if (!mutating && (hasPatch || hasPatchType)) throw Invalid("validating webhooks may not return patches");
        if (hasPatch && !hasPatchType) throw Invalid("webhook returned response.patch but not response.patchType");
        if (!hasPatch && hasPatchType) throw Invalid("webhook returned response.patchType but not response.patch");
        if (hasPatchType && ObjectTable.Text(response["patchType"]).Length == 0) throw Invalid("webhook returned invalid response.patchType of \"\"");
        return response;
    }

    private static JsonArray? Patch(JsonObject response)
    {
        var encoded = ObjectTable.Text(response["patch"]);
        if (encoded.Length == 0) return null;
        var patchType = ObjectTable.Text(response["patchType"]);
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded))) as JsonArray ?? throw new JsonException("the patch is not a JSON array");
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new WebhookCallFailed($"received undecodable patch in webhook response: {e.Message}");
        }

        if (operations.Count > 0 && patchType != "JSONPatch") throw new WebhookCallFailed($"unsupported patch type \"{patchType}\"");
        return operations;
    }

    /// <summary>The webhook's refusal, as k8s.io/apiserver <c>…/webhook/errors/statuserror.go</c> ToStatusErr makes it.</summary>
    private static ApiError Denied(string webhook, JsonObject? status)
    {
        var code = status?["code"] is JsonValue c && c.TryGetValue<int>(out var given) && given >= 400 ? given : 400;
        var message = ObjectTable.Text(status?["message"]);
        var reason = ObjectTable.Text(status?["reason"]);
        var deniedBy = $"admission webhook \"{webhook}\" denied the request";
        var text = message.Length > 0 ? $"{deniedBy}: {message}" : reason.Length > 0 ? $"{deniedBy}: {reason}" : $"{deniedBy} without explanation";
        return new ApiError(code, reason, text, status?["details"]?.DeepClone() as JsonObject);
    }

    /// <summary>apimachinery <c>pkg/api/errors</c> NewInternalError.</summary>
    private static ApiError InternalError(string error) =>
        new(500, "InternalError", $"Internal error occurred: {error}", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = error }) });

    /// <summary>
    /// Where a webhook Service is dialled, as kube-apiserver's ClusterIP resolver finds it (k8s.io/kube-aggregator
    /// <c>pkg/apiserver/resolvers.go</c>, ResolveCluster): the Service must exist, must not be headless and must have
    /// the port; its address is the one the cluster routes to (the emulator's resolver hook, else what
    /// <c>{name}.{namespace}.svc</c> resolves to on this machine).
    /// </summary>
    private IPEndPoint Resolve(string ns, string name, int port)
    {
        var service = table.TryGet(new ObjectKey("", "services", ns, name)) ?? throw new InvalidOperationException($"service \"{name}\" not found");
        if (ObjectTable.Text(service["spec"]?["clusterIP"]) == "None") throw new InvalidOperationException("cannot route to service with ClusterIP \"None\"");
        var ports = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>();
        if (!ports.Any(p => p["port"] is JsonValue v && v.TryGetValue<int>(out var number) && number == port))
        {
            throw new InvalidOperationException($"no service port {port} found for service \"{name}\"");
        }

        if (resolveService?.Invoke(ns, name) is { } address) return new IPEndPoint(address, port);
        var host = $"{name}.{ns}.svc";
        try
        {
            return new IPEndPoint(Dns.GetHostAddresses(host).First(), port);
        }
        catch (SocketException)
        {
            throw new InvalidOperationException($"dial tcp: lookup {host}: no such host");
        }
    }

    private static JsonObject Review(string uid, AdmissionRequest r)
    {
        var type = r.Type;
        var kind = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind };
        var resource = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["resource"] = type.Plural };
        var request = new JsonObject { ["uid"] = uid, ["kind"] = kind, ["resource"] = resource };
        if (r.Subresource.Length > 0) request["subResource"] = r.Subresource;
        request["requestKind"] = kind.DeepClone();
        request["requestResource"] = resource.DeepClone();
        if (r.Subresource.Length > 0) request["requestSubResource"] = r.Subresource;
        if (r.Name.Length > 0) request["name"] = r.Name;
        if (r.Namespace.Length > 0) request["namespace"] = r.Namespace;
        request["operation"] = r.Operation;
        request["userInfo"] = new JsonObject { ["username"] = r.User.Name, ["groups"] = new JsonArray([.. r.User.Groups.Select(g => (JsonNode)g)]) };
        request["object"] = r.Object?.DeepClone();
        request["oldObject"] = r.OldObject?.DeepClone();
        request["dryRun"] = r.DryRun;
        request["options"] = r.Options.DeepClone();
        return new JsonObject { ["kind"] = "AdmissionReview", ["apiVersion"] = "admission.k8s.io/v1", ["request"] = request };
    }
}
