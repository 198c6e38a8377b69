using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// The request pipeline, in the API server's order: authentication, authorization, then the discovery and OpenAPI
/// documents or a resource handler (get, list, watch, create, update, patch, delete, deletecollection), each write
/// followed by the controllers (<see cref="GarbageCollector"/>).
/// </summary>
public sealed partial class KubernetesEmulator
{
    private static readonly UserInfo Admin = new("kubernetes-admin", ["system:masters", "system:authenticated"]);

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            var query = context.Request.Query;
            var request = RequestInfo.Parse(context.Request.Method, context.Request.Path.Value ?? "/", IsTrue(query["watch"]));
            var user = _options.Authentication || _options.Rbac ? _authentication.Authenticate(context.Request.Headers.Authorization) : Admin;
            var authorized = request.NamedBySelector(query["fieldSelector"]);
            _rbac?.Authorize(user, authorized);
            if (!request.IsResourceRequest)
            {
                await ServeDocumentAsync(context, request);
                return;
            }

            if (context.Request.Method is "POST" or "PUT" or "PATCH" or "DELETE")
            {
                using var reader = new StreamReader(context.Request.Body);
                context.Items["body"] = await reader.ReadToEndAsync(context.RequestAborted);
            }

            if (_rbac is not null && request.Verb is "create" or "update" && context.Items["body"] is string written
                && _rbac.AuthorizeBinding(user, request, written) is { } bind)
            {
                _access.Enqueue(new AccessRecord(user.Name, bind.Verb, bind.Group, bind.Resource, "", bind.Namespace, bind.Name));
            }

            _access.Enqueue(new AccessRecord(user.Name, authorized.Verb, authorized.Group, authorized.Resource, authorized.Subresource, authorized.Namespace, authorized.Name));
            await ServeResourceAsync(context, request, user);
        }
        catch (ApiError e) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, e.Code, e.ToStatus());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException && !context.Response.HasStarted)
        {
            // A body that is not the JSON it should be is the client's mistake (400), as the API server's decoder says.
            await WriteAsync(context, 400, ApiError.BadRequest(e.Message).ToStatus());
        }
    }

    private async Task ServeDocumentAsync(HttpContext context, RequestInfo request)
    {
        if (request.Verb != "get") throw ApiError.MethodNotAllowed();
        var path = request.Path.TrimEnd('/');
        JsonObject? document = path.Split('/', StringSplitOptions.RemoveEmptyEntries) switch
        {
            ["version"] => Discovery.Version(_options.ServerVersion),
            ["api"] => Discovery.CoreVersions(Url.Authority),
            ["api", var version] => Discovery.ResourceList(_resources, "", version),
            ["apis"] => Discovery.GroupList(_resources),
            ["apis", var group] => Discovery.Group(_resources, group),
            ["apis", var group, var version] => Discovery.ResourceList(_resources, group, version),
            ["openapi", "v3"] => OpenApi.Root(_resources),
            ["openapi", "v3", "api", var version] => OpenApi.Document(_resources, version),
            ["openapi", "v3", "apis", var group, var version] => OpenApi.Document(_resources, $"{group}/{version}"),
            ["healthz" or "livez" or "readyz"] or ["openapi", "v2"] => null,
            _ => throw ApiError.NoRoute(),
        };
        if (path == "/openapi/v2")
        {
            var (contentType, body) = OpenApi.V2(context.Request.Headers.Accept, _options.ServerVersion);
            context.Response.ContentType = contentType;
            await context.Response.Body.WriteAsync(body);
            return;
        }

        if (path is "/healthz" or "/livez" or "/readyz")
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("ok");
            return;
        }

        await WriteAsync(context, 200, document ?? throw ApiError.NoRoute());
    }

    private async Task ServeResourceAsync(HttpContext context, RequestInfo request, UserInfo user)
    {
        var type = _resources.Find(request.Group, request.Version, request.Resource) ?? throw ApiError.NoRoute();
        var clusterScopedInNamespace = !type.Namespaced && request.Resource != "namespaces" && request.Namespace.Length > 0;
        var namespacedObjectWithoutNamespace = type.Namespaced && request.Name.Length > 0 && request.Namespace.Length == 0;
        if (clusterScopedInNamespace || namespacedObjectWithoutNamespace) throw ApiError.NoRoute();
        if (request.Subresource.Length > 0 && !(request.Subresource == "status" && type.HasStatus && request.Verb is "get" or "update" or "patch")) throw ApiError.NoRoute();
        var verbAllowed = request.Subresource.Length > 0 || type.Verbs.Contains(request.Verb);
        var creatable = request.Verb != "create" || (request.Name.Length == 0 && (!type.Namespaced || request.Namespace.Length > 0));
        if (!verbAllowed || !creatable) throw ApiError.MethodNotAllowed();

        var path = ResourcePath.Of(type, request);
        var query = context.Request.Query;
        var dryRun = query["dryRun"].Count > 0;
        switch (request.Verb)
        {
            case "watch":
                await WatchAsync(context, type, path);
                return;
            case "list":
                await ListAsync(context, type, path);
                return;
            case "get":
                var found = _table.Get(path);
                await WriteAsync(context, 200, Tables.Wanted(context.Request.Headers.Accept)
                    ? Tables.Of(type, [found], ObjectTable.Text(found["metadata"]?["resourceVersion"]), query["includeObject"].ToString(), _options.Time.GetUtcNow())
                    : found);
                return;
        }

        // Admission comes before the write, outside the table's lock (webhooks are called over the network): the
        // object the webhooks admitted is the one stored. A patch is computed from the object as it is, and computed
        // and admitted again if it changed meanwhile, as the API server retries a patch on a conflict.
        var deleteOptions = request.Verb is "delete" or "deletecollection" ? ReadDeleteOptions(context) : null;
        while (true)
        {
            var warnings = new List<string>();
            JsonObject? current = request.Verb is "update" or "patch" or "delete" ? _table.Get(path with { Status = false }) : null;
            JsonObject? admitted = request.Verb switch
            {
                "create" => Checked(type, ReadObject(context)),
                "update" => Checked(type, ReadObject(context)),
                // A copy: the merge may change what it is given, and current stays the old object and the version read.
                "patch" => Patched(context, type, (JsonObject)current!.DeepClone()),
                _ => null,
            };
            // Validation the registry does before admission: a webhook configuration must be one a cluster would store,
            // a custom resource's undeclared fields are reported by the request's fieldValidation (and pruned when stored).
            if (admitted is not null) WebhookConfigurationValidation.Check(type, admitted);
            if (admitted is not null && type.Schema is not null) ReportUnknownFields(context, type, admitted, warnings);
            // Defaults are set when the request is decoded, so admission sees them (and again when it is stored).
            if (admitted is not null && type.Schema is not null) SchemaValidation.Default(admitted, type.Schema);
            var operation = request.Verb switch { "create" => "CREATE", "update" or "patch" => "UPDATE", "delete" => "DELETE", _ => "" };
            if (operation.Length > 0)
            {
                var name = request.Name.Length > 0 ? request.Name : ObjectTable.Text(admitted?["metadata"]?["name"]);
                admitted = await _admission.AdmitAsync(
                    new AdmissionRequest(type, request.Subresource, operation, path.Namespace ?? "", name, Typed(type, path, admitted), current, user, dryRun, AdmissionOptions(request.Verb, context, deleteOptions)),
                    warnings,
                    context.RequestAborted);
            }

            JsonObject result;
            var code = 200;
            lock (_table.Sync)
            {
                switch (request.Verb)
                {
                    case "create":
                        result = _table.Create(type, path, admitted!, dryRun);
                        code = 201;
                        break;
                    case "update":
                        result = _table.Replace(type, path, admitted!, dryRun: dryRun);
                        break;
                    case "patch":
                        if (ObjectTable.Text(_table.Get(path with { Status = false })["metadata"]?["resourceVersion"]) != ObjectTable.Text(current!["metadata"]?["resourceVersion"])) continue;
                        result = _table.Replace(type, path, admitted!, patched: true, dryRun: dryRun);
                        break;
                    case "delete":
                        result = _table.Delete(type, path, deleteOptions!);
                        break;
                    case "deletecollection":
                        var deleted = _table.List(path, Filter(context, type)).Select(item => _table.Delete(type, path with { Name = ObjectTable.Text(item["metadata"]?["name"]), Namespace = type.Namespaced ? ObjectTable.Text(item["metadata"]?["namespace"]) : "" }, deleteOptions!));
                        result = ListOf(type, [.. deleted], _table.Version);
                        break;
                    default:
                        throw ApiError.MethodNotAllowed();
                }

                if (!dryRun) _collector.Collect();
            }

            // A webhook's warnings reach the client as the API server passes them on (RFC 7234 Warning, code 299).
            foreach (var warning in warnings) context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
            await WriteAsync(context, code, result);
            return;
        }
    }

    /// <summary>
    /// A custom resource's fields its schema does not declare, as the API server's decoder reports them
    /// (Kubernetes docs, API concepts, "Setting the field validation level"): <c>Strict</c> (kubectl's default) refuses
    /// the request with a 400, <c>Warn</c> (the default) sends a warning per field, <c>Ignore</c> says nothing. The
    /// fields are pruned when the object is stored in every case.
    /// </summary>
    private static void ReportUnknownFields(HttpContext context, ResourceType type, JsonObject body, List<string> warnings)
    {
        var unknown = SchemaValidation.UnknownFields(body, type.Schema).Select(u => $"unknown field \"{u}\"").ToList();
        if (unknown.Count == 0) return;
        var directive = context.Request.Query["fieldValidation"].ToString();
        if (directive == "Strict")
        {
            throw ApiError.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", unknown)}");
        }

        if (directive != "Ignore") warnings.AddRange(unknown);
    }

    /// <summary>
    /// The object as admission sees it: decoded into the path's kind and namespace, as the API server's handlers have
    /// it before calling admission (apiserver <c>pkg/endpoints/handlers/create.go</c>).
    /// </summary>
    private static JsonObject? Typed(ResourceType type, ResourcePath path, JsonObject? item)
    {
        if (item is null) return null;
        var typed = (JsonObject)item.DeepClone();
        typed["apiVersion"] = type.ApiVersion;
        typed["kind"] = type.Kind;
        if (path.Namespace is { Length: > 0 } ns && typed["metadata"] is JsonObject metadata && ObjectTable.Text(metadata["namespace"]).Length == 0) metadata["namespace"] = ns;
        return typed;
    }

    /// <summary>The request's options as an AdmissionReview carries them (<c>meta.k8s.io/v1</c> CreateOptions, UpdateOptions, PatchOptions, DeleteOptions).</summary>
    private static JsonObject AdmissionOptions(string verb, HttpContext context, DeleteOptions? delete)
    {
        var options = new JsonObject
        {
            ["kind"] = verb switch { "create" => "CreateOptions", "update" => "UpdateOptions", "patch" => "PatchOptions", _ => "DeleteOptions" },
            ["apiVersion"] = "meta.k8s.io/v1",
        };
        var query = context.Request.Query;
        if (query["dryRun"].Count > 0) options["dryRun"] = new JsonArray("All");
        if (verb != "delete" && query["fieldManager"].Count > 0) options["fieldManager"] = query["fieldManager"].ToString();
        if (delete?.Propagation is { } propagation) options["propagationPolicy"] = propagation;
        return options;
    }

    private async Task ListAsync(HttpContext context, ResourceType type, ResourcePath path)
    {
        long version;
        List<JsonObject> items;
        lock (_table.Sync)
        {
            items = _table.List(path, Filter(context, type));
            version = _table.Version;
        }

        await WriteAsync(context, 200, Tables.Wanted(context.Request.Headers.Accept)
            ? Tables.Of(type, items, version.ToString(CultureInfo.InvariantCulture), context.Request.Query["includeObject"].ToString(), _options.Time.GetUtcNow())
            : ListOf(type, items, version));
    }

    private static JsonObject ListOf(ResourceType type, List<JsonObject> items, long version) => new()
    {
        ["apiVersion"] = type.ApiVersion,
        ["kind"] = type.Kind + "List",
        ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) },
        ["items"] = new JsonArray([.. items]),
    };

    private static Func<JsonObject, bool> Filter(HttpContext context, ResourceType type)
    {
        var labels = LabelSelector.Parse(context.Request.Query["labelSelector"]);
        var fields = FieldSelector.Parse(context.Request.Query["fieldSelector"], type);
        return o => labels.Matches(o) && fields(o);
    }

    // The body must be the kind the path serves, as the API server's decoder checks it.
    private static JsonObject Checked(ResourceType type, JsonObject body)
    {
        var apiVersion = ObjectTable.Text(body["apiVersion"]);
        var kind = ObjectTable.Text(body["kind"]);
        if (apiVersion.Length > 0 && apiVersion != type.ApiVersion)
        {
            throw ApiError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }

        if (kind.Length > 0 && kind != type.Kind)
        {
            throw ApiError.BadRequest($"{kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: the kind in the data does not match the kind the path serves");
        }

        return body;
    }

    // A PATCH by its Content-Type: JSON merge and JSON patch for every kind, strategic merge for built-in kinds only
    // (custom resources answer it with 415, as the API server's custom resource handler does); server-side apply is
    // not implemented, so it is answered as by a server without it.
    private static JsonObject Patched(HttpContext context, ResourceType type, JsonObject current)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var accepted = type.IsCustom ? $"{Patches.Json}, {Patches.Merge}" : $"{Patches.Json}, {Patches.Merge}, {Patches.Strategic}";
        if (contentType is not (Patches.Merge or Patches.Json or Patches.Strategic) || (contentType == Patches.Strategic && type.IsCustom))
        {
            throw ApiError.UnsupportedMediaType(accepted);
        }

        return (contentType, JsonNode.Parse(ReadBody(context))) switch
        {
            (Patches.Merge, JsonObject patch) => (JsonObject)Patches.MergePatch(current, patch)!,
            (Patches.Strategic, JsonObject patch) => StrategicMergePatch.Apply(type.Kind, current, patch),
            (Patches.Json, JsonArray operations) => Patches.JsonPatch(current, operations) as JsonObject ?? throw ApiError.BadRequest("the patched document is not an object"),
            _ => throw ApiError.BadRequest($"the patch is not a JSON {(contentType == Patches.Json ? "array" : "object")}"),
        };
    }

    private static DeleteOptions ReadDeleteOptions(HttpContext context)
    {
        var text = ReadBody(context);
        var body = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        var query = context.Request.Query;
        var propagation = query["propagationPolicy"].Count > 0 ? query["propagationPolicy"].ToString() : ObjectTable.Text(body?["propagationPolicy"]);
        if (propagation.Length == 0 && body?["orphanDependents"]?.GetValue<bool>() == true) propagation = "Orphan";
        if (propagation.Length > 0 && propagation is not ("Orphan" or "Background" or "Foreground"))
        {
            throw ApiError.BadRequest($"DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{propagation}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        }

        var preconditions = body?["preconditions"];
        return new DeleteOptions(
            propagation.Length > 0 ? propagation : null,
            ObjectTable.Text(preconditions?["uid"]) is { Length: > 0 } uid ? uid : null,
            ObjectTable.Text(preconditions?["resourceVersion"]) is { Length: > 0 } rv ? rv : null,
            query["dryRun"].Count > 0 || (body?["dryRun"] as JsonArray)?.Count > 0);
    }

    private static JsonObject ReadObject(HttpContext context)
    {
        var contentType = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (contentType is not ("application/json" or "")) throw ApiError.UnsupportedMediaType("application/json");
        return JsonNode.Parse(ReadBody(context)) as JsonObject ?? throw ApiError.BadRequest("the body must be a JSON object");
    }

    // Bodies are read before the table's lock is taken (HandleAsync), so the handlers below can stay synchronous.
    private static string ReadBody(HttpContext context) =>
        context.Items.TryGetValue("body", out var body) ? (string)body! : "";

    private static bool IsTrue(string? value) => value is "true" or "1" or "True";

    private static async Task WriteAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }
}
