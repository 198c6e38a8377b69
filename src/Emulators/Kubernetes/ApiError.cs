using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// A failed request, answered as the API server does: a <c>Status</c> object with a reason, a code and details, whose
/// messages follow kubernetes/apimachinery <c>pkg/api/errors/errors.go</c> (kubectl prints them as
/// <c>Error from server (Reason): message</c>).
/// </summary>
internal sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    /// <summary><c>mongodbs.kubedb.com "x" not found</c>; a core kind has no group: <c>secrets "x" not found</c>.</summary>
    public static ApiError NotFound(string group, string resource, string name) =>
        new(404, "NotFound", $"{Qualified(group, resource)} \"{name}\" not found", Detail(group, resource, name));

    /// <summary>A path nothing is served at (an unknown group, version or resource).</summary>
    public static ApiError NoRoute() => new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static ApiError AlreadyExists(string group, string resource, string name) =>
        new(409, "AlreadyExists", $"{Qualified(group, resource)} \"{name}\" already exists", Detail(group, resource, name));

    public static ApiError Conflict(string group, string resource, string name, string why = "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(group, resource)} \"{name}\": {why}", Detail(group, resource, name));

    public static ApiError Gone(string message) => new(410, "Expired", message);

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiError MethodNotAllowed() => new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject());

    public static ApiError UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {contentType}", new JsonObject());

    public static ApiError Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    /// <summary><c>secrets "x" is forbidden: ...</c>, or without a name <c>secrets is forbidden: ...</c>.</summary>
    public static ApiError Forbidden(string group, string resource, string name, string why) =>
        new(403, "Forbidden", $"{Qualified(group, resource)}{(name.Length > 0 ? $" \"{name}\"" : "")} is forbidden: {why}", Detail(group, resource, name));

    /// <summary>A non-resource path refused: <c>forbidden: User "u" cannot get path "/x"</c>.</summary>
    public static ApiError ForbiddenPath(string why) => new(403, "Forbidden", $"forbidden: {why}", new JsonObject());

    /// <summary>
    /// 422 with one cause: <c>Kind.group "name" is invalid: field: Invalid value: ...: detail</c>. The qualified kind is
    /// what the API server's registry names (apimachinery <c>NewInvalid</c>).
    /// </summary>
    public static ApiError Invalid(string qualifiedKind, string name, string field, string causeType, string message)
    {
        var details = new JsonObject
        {
            ["name"] = name,
            ["group"] = qualifiedKind.Contains('.', StringComparison.Ordinal) ? qualifiedKind[(qualifiedKind.IndexOf('.', StringComparison.Ordinal) + 1)..] : "",
            ["kind"] = qualifiedKind.Contains('.', StringComparison.Ordinal) ? qualifiedKind[..qualifiedKind.IndexOf('.', StringComparison.Ordinal)] : qualifiedKind,
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = causeType, ["message"] = message, ["field"] = field }),
        };
        return new(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {field}: {message}", details);
    }

    /// <summary>
    /// 422 with every cause, as the API server reports a list of field errors: one is <c>field: message</c>, more are
    /// <c>[field: message, field: message]</c> (apimachinery <c>NewInvalid</c>, <c>ErrorList.ToAggregate</c>).
    /// </summary>
    public static ApiError Invalid(string qualifiedKind, string name, IReadOnlyList<(string Field, string Type, string Message)> errors)
    {
        var text = errors.Count == 1 ? $"{errors[0].Field}: {errors[0].Message}" : $"[{string.Join(", ", errors.Select(e => $"{e.Field}: {e.Message}"))}]";
        var dot = qualifiedKind.IndexOf('.', StringComparison.Ordinal);
        return new(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {text}", new JsonObject
        {
            ["name"] = name,
            ["group"] = dot < 0 ? "" : qualifiedKind[(dot + 1)..],
            ["kind"] = dot < 0 ? qualifiedKind : qualifiedKind[..dot],
            ["causes"] = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject { ["reason"] = e.Type, ["message"] = e.Message, ["field"] = e.Field })]),
        });
    }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is not null) status["details"] = Details.DeepClone();
        status["code"] = Code;
        return status;
    }

    private static string Qualified(string group, string resource) => group.Length == 0 ? resource : $"{resource}.{group}";

    private static JsonObject Detail(string group, string resource, string name)
    {
        var details = new JsonObject();
        if (name.Length > 0) details["name"] = name;
        if (group.Length > 0) details["group"] = group;
        details["kind"] = resource;
        return details;
    }
}
