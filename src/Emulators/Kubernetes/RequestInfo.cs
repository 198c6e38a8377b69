namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// What a request addresses, read from its path the way the API server reads it
/// (kubernetes/apiserver <c>pkg/endpoints/request/requestinfo.go</c>): <c>/api/v1/...</c> or
/// <c>/apis/{group}/{version}/...</c>, then optionally <c>namespaces/{ns}/</c>, a resource, a name and a
/// subresource; the verb comes from the method (GET one is get, GET many is list, with <c>watch=true</c> watch; DELETE
/// many is deletecollection). Anything else (<c>/version</c>, <c>/openapi/v3</c>) is a non-resource request.
/// </summary>
internal sealed record RequestInfo(
    bool IsResourceRequest, string Path, string Verb, string Group, string Version, string Namespace, string Resource, string Name, string Subresource)
{
    // "namespaces/{name}/status" and "namespaces/{name}/finalize" are the namespace's own subresources, not a
    // resource "status" inside namespace {name}.
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestInfo Parse(string method, string path, bool watch)
    {
        var nonResource = new RequestInfo(false, path, method.ToLowerInvariant(), "", "", "", "", "", "");
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        int at;
        switch (parts)
        {
            case ["api", var v, _, ..]:
                (group, version, at) = ("", v, 2);
                break;
            case ["apis", var g, var v, _, ..]:
                (group, version, at) = (g, v, 3);
                break;
            default:
                return nonResource;
        }

        var rest = parts[at..];
        var ns = "";
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2])) rest = rest[2..];
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : "";
        var subresource = rest.Length > 2 ? rest[2] : "";
        if (rest.Length > 3) return nonResource;
        var verb = method switch
        {
            "GET" or "HEAD" when watch => "watch",
            "GET" or "HEAD" => name.Length > 0 ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length > 0 ? "delete" : "deletecollection",
            _ => method.ToLowerInvariant(),
        };

        // A namespace is addressed by its name; its own requests are "in" it for authorization, as the API server
        // has them (requestinfo.go: "namespaces" sets Namespace to the name).
        if (resource == "namespaces" && name.Length > 0) ns = name;
        return new RequestInfo(true, path, verb, group, version, ns, resource, name, subresource);
    }

    /// <summary>
    /// The request as it is authorized and audited: a list or watch whose field selector requires one
    /// <c>metadata.name</c> is a request for that name (requestinfo.go: <c>FieldSelector.RequiresExactMatch("metadata.name")</c>),
    /// so <c>resourceNames</c> rules apply to it and the audit names the object. The request is served as a list all the same.
    /// </summary>
    public RequestInfo NamedBySelector(string? fieldSelector)
    {
        if (!IsResourceRequest || Name.Length > 0 || Verb is not ("list" or "watch") || string.IsNullOrEmpty(fieldSelector)) return this;
        foreach (var term in fieldSelector.Split(',', StringSplitOptions.TrimEntries))
        {
            var (key, value) = term.Split("==", 2) is [var k, var v] ? (k, v) : term.Split('=', 2) is [var k1, var v1] && !k1.EndsWith('!') ? (k1, v1) : ("", "");
            if (key.Trim() == "metadata.name" && value.Trim() is { Length: > 0 } name && name is not ("." or "..") && name.IndexOfAny(['/', '%']) < 0)
            {
                return this with { Name = name };
            }
        }

        return this;
    }

    /// <summary><c>resource</c> or <c>resource/subresource</c>, as RBAC rules and discovery name it.</summary>
    public string FullResource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";
}
