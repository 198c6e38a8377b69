using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>A failed request, answered as the API server does: a <c>Status</c> object with a reason and code.</summary>
internal sealed class ApiError(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public static ApiError NotFound(string what) => new(404, "NotFound", $"{what} not found");

    public static ApiError AlreadyExists(string what) => new(409, "AlreadyExists", $"{what} already exists");

    public static ApiError Conflict(string what) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {what}: the object has been modified; please apply your changes to the latest version and try again");

    public static ApiError Gone(string message) => new(410, "Expired", message);

    public static ApiError Invalid(string message) => new(422, "Invalid", message);

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["code"] = Code,
    };
}
