using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// Whether a webhook of a Mutating/ValidatingWebhookConfiguration is called for a request, as kube-apiserver decides
/// (k8s.io/apiserver <c>pkg/admission/plugin/webhook/predicates/rules/rules.go</c>, <c>…/predicates/namespace</c>,
/// <c>…/predicates/object</c>): some rule matches the operation, group, version, resource (<c>res</c>, <c>res/sub</c>,
/// <c>*</c> for every resource, <c>*/*</c> for every resource and subresource, <c>res/*</c>, <c>*/sub</c>) and scope
/// (<c>Namespaced</c> excludes Namespace objects and cluster-scoped kinds, <c>Cluster</c> is them); the
/// <c>namespaceSelector</c> matches the labels of the object's namespace (of a Namespace, its own; ignored for other
/// cluster-scoped kinds); the <c>objectSelector</c> matches the labels of the object or of the old object. Only
/// <c>matchPolicy: Exact</c> is evaluated: a rule naming another version of the same resource does not match (with
/// the default <c>Equivalent</c> the API server would convert the object to that version and call it).
/// </summary>
internal static class WebhookRules
{
    /// <summary>
    /// The kinds no webhook is called for, so a broken webhook can always be removed
    /// (k8s.io/apiserver <c>pkg/admission/plugin/webhook/generic/webhook.go</c> IsExemptAdmissionConfigurationResource).
    /// </summary>
    private static readonly HashSet<string> Exempt =
        ["mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"];

    public static bool IsExempt(ResourceType type) => type.Group == "admissionregistration.k8s.io" && Exempt.Contains(type.Plural);

    public static bool Matches(JsonObject webhook, AdmissionRequest request, Func<string, JsonObject?> namespaceOf) =>
        (webhook["rules"] as JsonArray ?? []).OfType<JsonObject>().Any(rule => RuleMatches(rule, request))
        && NamespaceMatches(webhook["namespaceSelector"] as JsonObject, request, namespaceOf)
        && (Selects(webhook["objectSelector"] as JsonObject, request.Object) || Selects(webhook["objectSelector"] as JsonObject, request.OldObject));

    private static bool RuleMatches(JsonObject rule, AdmissionRequest request)
    {
        var type = request.Type;
        return Lists(rule["operations"], request.Operation) && Lists(rule["apiGroups"], type.Group) && Lists(rule["apiVersions"], type.Version)
            && ObjectTable.Strings(rule["resources"]).Any(entry =>
            {
                var slash = entry.IndexOf('/', StringComparison.Ordinal);
                var (resource, subresource) = slash < 0 ? (entry, "") : (entry[..slash], entry[(slash + 1)..]);
                return (resource == "*" || resource == type.Plural) && (subresource == "*" || subresource == request.Subresource);
            })
            && (ObjectTable.Text(rule["scope"]) switch
            {
                "Namespaced" => type.Plural != "namespaces" && request.Namespace.Length > 0,
                "Cluster" => type.Plural == "namespaces" || request.Namespace.Length == 0,
                _ => true,
            });
    }

    private static bool Lists(JsonNode? values, string wanted) => ObjectTable.Strings(values).Any(v => v == "*" || v == wanted);

    private static bool NamespaceMatches(JsonObject? selector, AdmissionRequest request, Func<string, JsonObject?> namespaceOf)
    {
        if (request.Type.Plural == "namespaces" && request.Type.Group.Length == 0) return Selects(selector, request.Object ?? request.OldObject);
        if (!request.Type.Namespaced) return true;
        return Selects(selector, namespaceOf(request.Namespace));
    }

    /// <summary>A <c>metav1.LabelSelector</c> (absent or empty: everything) against an object's labels; no object matches no other.</summary>
    private static bool Selects(JsonObject? selector, JsonObject? item)
    {
        if (selector is null || selector.Count == 0) return true;
        if (item is null) return false;
        var labels = (item["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(p => p.Key, p => ObjectTable.Text(p.Value), StringComparer.Ordinal);
        foreach (var (key, value) in selector["matchLabels"] as JsonObject ?? [])
        {
            if (!labels.TryGetValue(key, out var actual) || actual != ObjectTable.Text(value)) return false;
        }

        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var has = labels.TryGetValue(ObjectTable.Text(expression["key"]), out var actual);
            var values = ObjectTable.Strings(expression["values"]);
            var ok = ObjectTable.Text(expression["operator"]) switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }

        return true;
    }
}
