using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What the API server refuses to store in a Mutating/ValidatingWebhookConfiguration (kubernetes
/// <c>pkg/apis/admissionregistration/validation/validation.go</c>, k8s.io/apiserver <c>pkg/util/webhook/validation.go</c>),
/// so a configuration the emulator calls is one a cluster would call: fully qualified unique webhook names, rules with
/// operations, groups, versions and resources, the failure, side-effect (None or NoneOnDryRun), reinvocation and match
/// policies, a timeout of 1–30 s, <c>admissionReviewVersions</c> naming v1 or v1beta1, and exactly one of an https
/// <c>url</c> (no user, query or fragment) or a <c>service</c> (name, namespace, a path starting with <c>/</c>, a port
/// of 1–65535). All errors are reported together, as the API server lists them. Label selectors' syntax is not
/// checked; the rules are applied on updates too (the API server lets an update keep a value it accepted earlier).
/// </summary>
internal static class WebhookConfigurationValidation
{
    public static void Check(ResourceType type, JsonObject configuration)
    {
        if (type.Group != "admissionregistration.k8s.io" || type.Plural is not ("mutatingwebhookconfigurations" or "validatingwebhookconfigurations")) return;
        var mutating = type.Plural == "mutatingwebhookconfigurations";
        List<(string Field, string Type, string Message)> errors = [];
        HashSet<string> names = [];
        var webhooks = (configuration["webhooks"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        for (var i = 0; i < webhooks.Count; i++)
        {
            var hook = webhooks[i];
            var at = $"webhooks[{i}]";
            var name = ObjectTable.Text(hook["name"]);
            if (name.Length == 0) errors.Add(($"{at}.name", "FieldValueRequired", "Required value"));
            else if (name.Split('.').Length < 3) errors.Add(($"{at}.name", "FieldValueInvalid", $"Invalid value: \"{name}\": should be a domain with at least three segments separated by dots"));
            else if (!names.Add(name)) errors.Add(($"{at}.name", "FieldValueDuplicate", $"Duplicate value: \"{name}\""));
            var rules = (hook["rules"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            for (var r = 0; r < rules.Count; r++) Rule(rules[r], $"{at}.rules[{r}]", errors);
            OneOf(hook, "failurePolicy", at, ["Fail", "Ignore"], errors);
            OneOf(hook, "matchPolicy", at, ["Equivalent", "Exact"], errors);
            if (mutating) OneOf(hook, "reinvocationPolicy", at, ["IfNeeded", "Never"], errors);
            if (hook["sideEffects"] is null) errors.Add(($"{at}.sideEffects", "FieldValueRequired", "Required value: must specify one of None, NoneOnDryRun"));
            else OneOf(hook, "sideEffects", at, ["None", "NoneOnDryRun"], errors);
            if (hook["timeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var timeout) && timeout is < 1 or > 30)
            {
                errors.Add(($"{at}.timeoutSeconds", "FieldValueInvalid", $"Invalid value: {timeout}: the timeout value must be between 1 and 30 seconds"));
            }

            var versions = ObjectTable.Strings(hook["admissionReviewVersions"]);
            if (versions.Count == 0)
            {
                errors.Add(($"{at}.admissionReviewVersions", "FieldValueRequired", "Required value: must specify one of v1, v1beta1"));
            }
            else if (!versions.Any(v => v is "v1" or "v1beta1"))
            {
                errors.Add(($"{at}.admissionReviewVersions", "FieldValueInvalid", $"Invalid value: []string{{{string.Join(", ", versions.Select(v => $"\"{v}\""))}}}: must include at least one of v1, v1beta1"));
            }

            ClientConfig(hook["clientConfig"] as JsonObject ?? [], $"{at}.clientConfig", errors);
        }

        if (errors.Count == 0) return;
        var qualified = $"{type.Kind}.{type.Group}";
        var objectName = ObjectTable.Text(configuration["metadata"]?["name"]);
        var text = errors.Count == 1 ? $"{errors[0].Field}: {errors[0].Message}" : $"[{string.Join(", ", errors.Select(e => $"{e.Field}: {e.Message}"))}]";
        throw new ApiError(422, "Invalid", $"{qualified} \"{objectName}\" is invalid: {text}", new JsonObject
        {
            ["name"] = objectName,
            ["group"] = type.Group,
            ["kind"] = type.Kind,
            ["causes"] = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject { ["reason"] = e.Type, ["message"] = e.Message, ["field"] = e.Field })]),
        });
    }

    private static void Rule(JsonObject rule, string at, List<(string, string, string)> errors)
    {
        var operations = ObjectTable.Strings(rule["operations"]);
        if (operations.Count == 0) errors.Add(($"{at}.operations", "FieldValueRequired", "Required value"));
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not ("*" or "CREATE" or "UPDATE" or "DELETE" or "CONNECT"))
            {
                errors.Add(($"{at}.operations[{i}]", "FieldValueNotSupported", $"Unsupported value: \"{operations[i]}\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\""));
            }
        }

        if (ObjectTable.Strings(rule["apiGroups"]).Count == 0) errors.Add(($"{at}.apiGroups", "FieldValueRequired", "Required value"));
        if (ObjectTable.Strings(rule["apiVersions"]).Count == 0) errors.Add(($"{at}.apiVersions", "FieldValueRequired", "Required value"));
        if (ObjectTable.Strings(rule["resources"]).Count == 0) errors.Add(($"{at}.resources", "FieldValueRequired", "Required value"));
        OneOf(rule, "scope", at, ["*", "Cluster", "Namespaced"], errors);
    }

    private static void OneOf(JsonObject owner, string field, string at, string[] supported, List<(string, string, string)> errors)
    {
        if (owner[field] is null) return;
        var value = ObjectTable.Text(owner[field]);
        if (!supported.Contains(value))
        {
            errors.Add(($"{at}.{field}", "FieldValueNotSupported", $"Unsupported value: \"{value}\": supported values: {string.Join(", ", supported.Select(s => $"\"{s}\""))}"));
        }
    }

    private static void ClientConfig(JsonObject config, string at, List<(string, string, string)> errors)
    {
        var url = config["url"];
        var service = config["service"] as JsonObject;
        if ((url is null) == (service is null))
        {
            errors.Add((at, "FieldValueRequired", "Required value: exactly one of url or service is required"));
            return;
        }

        if (service is null)
        {
            var text = ObjectTable.Text(url);
            var why = !Uri.TryCreate(text, UriKind.Absolute, out var parsed) ? "host must be specified"
                : parsed.Scheme != "https" ? "'https' is the only allowed URL scheme"
                : parsed.Host.Length == 0 ? "host must be specified"
                : parsed.UserInfo.Length > 0 ? "user information is not permitted in the URL"
                : parsed.Fragment.Length > 0 ? "fragments are not permitted in the URL"
                : parsed.Query.Length > 0 ? "query parameters are not permitted in the URL"
                : null;
            if (why is not null) errors.Add(($"{at}.url", "FieldValueInvalid", $"Invalid value: \"{text}\": {why}"));
            return;
        }

        if (ObjectTable.Text(service["name"]).Length == 0) errors.Add(($"{at}.service.name", "FieldValueRequired", "Required value: service name is required"));
        if (ObjectTable.Text(service["namespace"]).Length == 0) errors.Add(($"{at}.service.namespace", "FieldValueRequired", "Required value: service namespace is required"));
        var path = ObjectTable.Text(service["path"]);
        if (path.Length > 0 && !path.StartsWith('/')) errors.Add(($"{at}.service.path", "FieldValueInvalid", $"Invalid value: \"{path}\": must start with a '/'"));
        if (service["port"] is JsonValue p && p.TryGetValue<int>(out var port) && port is < 1 or > 65535)
        {
            errors.Add(($"{at}.service.port", "FieldValueInvalid", $"Invalid value: {port}: port is not valid: must be between 1 and 65535, inclusive"));
        }
    }
}
