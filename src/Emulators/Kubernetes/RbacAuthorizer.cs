using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// RBAC as kubernetes/kubernetes <c>plugin/pkg/auth/authorizer/rbac/rbac.go</c> decides it, from the Roles,
/// ClusterRoles and bindings stored: a request is allowed when a ClusterRoleBinding, or a RoleBinding in the
/// request's namespace, binds a subject that is the user (User, Group or ServiceAccount) to a role with a rule that
/// covers the API group, the resource (a subresource only as <c>resource/subresource</c>), the name (empty
/// <c>resourceNames</c> cover all) and the verb, with <c>*</c> as a wildcard. <c>system:masters</c> is allowed
/// everything (the API server's superuser group). Non-resource paths: <c>/version</c>, <c>/healthz</c>,
/// <c>/livez</c>, <c>/readyz</c> for everyone and discovery and OpenAPI for authenticated users, as the bootstrap
/// ClusterRoles <c>system:public-info-viewer</c> and <c>system:discovery</c> grant (they are not stored objects here).
/// Aggregated ClusterRoles are not aggregated.
/// </summary>
internal sealed class RbacAuthorizer(ObjectTable table)
{
    private const string Group = "rbac.authorization.k8s.io";
    private static readonly string[] PublicPaths = ["/version", "/version/", "/healthz", "/livez", "/readyz"];
    private static readonly string[] DiscoveryPrefixes = ["/api", "/apis", "/openapi"];

    /// <summary>Throws the API server's 403 when RBAC does not allow the request.</summary>
    public void Authorize(UserInfo user, RequestInfo request)
    {
        if (user.Groups.Contains("system:masters")) return;
        if (!request.IsResourceRequest)
        {
            var path = request.Path;
            if (PublicPaths.Contains(path)) return;
            if (user.Groups.Contains("system:authenticated") && DiscoveryPrefixes.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal))) return;
            if (Allowed(user, request, out _)) return;
            throw ApiError.ForbiddenPath($"User \"{user.Name}\" cannot {request.Verb} path \"{path}\"");
        }

        if (Allowed(user, request, out var missing)) return;
        var scope = request.Namespace.Length > 0 ? $"in the namespace \"{request.Namespace}\"" : "at the cluster scope";
        var why = $"User \"{user.Name}\" cannot {request.Verb} resource \"{request.FullResource}\" in API group \"{request.Group}\" {scope}";
        if (missing.Count > 0) why += $": RBAC: [{string.Join(", ", missing)}]";
        throw ApiError.Forbidden(request.Group, request.Resource, request.Name, why);
    }

    /// <summary>
    /// RBAC's escalation prevention for a binding written (kubernetes pkg/registry/rbac/rolebinding/policybased and
    /// rbac/validation): allowed when the user may <c>bind</c> the role it names (in the binding's namespace), or holds
    /// every permission the role grants there; otherwise the API server's 403 naming what is not held. Returns the
    /// <c>bind</c> request that allowed it, if that did (an access to record), else null.
    /// </summary>
    public RequestInfo? AuthorizeBinding(UserInfo user, RequestInfo request, string body)
    {
        if (request.Group != Group || request.Resource is not ("rolebindings" or "clusterrolebindings") || request.Subresource.Length > 0) return null;
        if (user.Groups.Contains("system:masters")) return null;
        JsonObject? binding;
        try
        {
            binding = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // The write itself refuses a body that is not JSON.
        }

        var kind = ObjectTable.Text(binding?["roleRef"]?["kind"]);
        var name = ObjectTable.Text(binding?["roleRef"]?["name"]);
        var ns = request.Resource == "rolebindings" ? request.Namespace : "";
        var bindName = ObjectTable.Text(binding?["metadata"]?["name"]) is { Length: > 0 } n ? n : request.Name;
        var bind = new RequestInfo(true, "", "bind", Group, "v1", ns, kind == "Role" ? "roles" : "clusterroles", name, "");
        if (Allowed(user, bind, out _)) return bind;
        JsonObject? role;
        lock (table.Sync)
        {
            table.Objects.TryGetValue(kind == "Role" ? new ObjectKey(Group, "roles", ns, name) : new ObjectKey(Group, "clusterroles", "", name), out var found);
            role = found;
        }

        var notHeld = new List<string>();
        foreach (var rule in (role?["rules"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var groups = ObjectTable.Strings(rule["apiGroups"]);
            var resources = ObjectTable.Strings(rule["resources"]);
            var verbs = ObjectTable.Strings(rule["verbs"]);
            var names = ObjectTable.Strings(rule["resourceNames"]);
            var held = groups.All(g => resources.All(r => verbs.All(v => (names.Count == 0 ? [""] : names).All(resourceName =>
            {
                var parts = r.Split('/', 2);
                return Allowed(user, new RequestInfo(true, "", v, g, "v1", ns, parts[0], resourceName, parts.Length > 1 ? parts[1] : ""), out _);
            }))));
            if (!held)
            {
                static string Quoted(IEnumerable<string> items) => string.Join(" ", items.Select(i => $"\"{i}\""));
                notHeld.Add($"{{APIGroups:[{Quoted(groups)}], Resources:[{Quoted(resources)}], {(names.Count > 0 ? $"ResourceNames:[{Quoted(names)}], " : "")}Verbs:[{Quoted(verbs)}]}}");
            }
        }

        if (role is not null && notHeld.Count == 0) return null;
        var groupsText = string.Join(" ", user.Groups.Select(g => $"\"{g}\""));
        var reason = role is null
            ? $"user \"{user.Name}\" (groups=[{groupsText}]) is attempting to grant RBAC permissions not currently held: {kind.ToLowerInvariant()}.{Group} \"{name}\" not found"
            : $"user \"{user.Name}\" (groups=[{groupsText}]) is attempting to grant RBAC permissions not currently held:\n{string.Join("\n", notHeld)}";
        throw ApiError.Forbidden(Group, request.Resource, bindName, reason);
    }

    private bool Allowed(UserInfo user, RequestInfo request, out List<string> missing)
    {
        missing = [];
        lock (table.Sync)
        {
            var bindings = table.Objects.Where(o => o.Key.Group == Group
                && (o.Key.Plural == "clusterrolebindings" || (o.Key.Plural == "rolebindings" && request.Namespace.Length > 0 && o.Key.Namespace == request.Namespace)));
            foreach (var (key, binding) in bindings)
            {
                if (!(binding["subjects"] as JsonArray ?? []).OfType<JsonObject>().Any(s => Matches(s, user, key.Namespace))) continue;
                var roleKind = ObjectTable.Text(binding["roleRef"]?["kind"]);
                var roleName = ObjectTable.Text(binding["roleRef"]?["name"]);
                var roleKey = roleKind == "ClusterRole" ? new ObjectKey(Group, "clusterroles", "", roleName) : new ObjectKey(Group, "roles", key.Namespace, roleName);
                if (!table.Objects.TryGetValue(roleKey, out var role))
                {
                    // The API server names the binding whose role is missing in its reason.
                    missing.Add($"{roleKind.ToLowerInvariant()}.{Group} \"{roleName}\" not found");
                    continue;
                }

                if ((role["rules"] as JsonArray ?? []).OfType<JsonObject>().Any(r => Covers(r, request))) return true;
            }
        }

        return false;
    }

    private static bool Matches(JsonObject subject, UserInfo user, string bindingNamespace) => ObjectTable.Text(subject["kind"]) switch
    {
        "User" => ObjectTable.Text(subject["name"]) == user.Name,
        "Group" => user.Groups.Contains(ObjectTable.Text(subject["name"])),
        "ServiceAccount" => user.Name == $"system:serviceaccount:{(ObjectTable.Text(subject["namespace"]) is { Length: > 0 } ns ? ns : bindingNamespace)}:{ObjectTable.Text(subject["name"])}",
        _ => false,
    };

    private static bool Covers(JsonObject rule, RequestInfo request)
    {
        var verbs = ObjectTable.Strings(rule["verbs"]);
        if (!verbs.Contains("*") && !verbs.Contains(request.Verb)) return false;
        if (!request.IsResourceRequest)
        {
            return ObjectTable.Strings(rule["nonResourceURLs"]).Any(u => u == "*" || u == request.Path || (u.EndsWith('*') && request.Path.StartsWith(u[..^1], StringComparison.Ordinal)));
        }

        var groups = ObjectTable.Strings(rule["apiGroups"]);
        if (!groups.Contains("*") && !groups.Contains(request.Group)) return false;
        var resources = ObjectTable.Strings(rule["resources"]);
        var wanted = request.FullResource;
        // "*" covers subresources too; "*/status" covers every kind's status (rbac/v1 helpers' ResourceMatches).
        if (!resources.Any(r => r == "*" || r == wanted || (request.Subresource.Length > 0 && r == $"*/{request.Subresource}"))) return false;
        var names = ObjectTable.Strings(rule["resourceNames"]);
        return names.Count == 0 || names.Contains(request.Name);
    }
}
