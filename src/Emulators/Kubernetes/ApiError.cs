using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>A failed request, answered as the API server does: a <c>Status</c> object with a reason and code.</summary>
internal sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    /// <summary>The Status's <c>details</c> (name, group, kind, causes), where the API server gives them.</summary>
    public JsonObject? Details { get; } = details;

    public static ApiError NotFound(string what) => new(404, "NotFound", $"{what} not found");

    public static ApiError AlreadyExists(string what) => new(409, "AlreadyExists", $"{what} already exists");

    public static ApiError Conflict(string what) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {what}: the object has been modified; please apply your changes to the latest version and try again");

    /// <summary>
    /// A failed update precondition (the object's uid is not the one named), as the API server words it: the storage
    /// layer's "invalid object" error (kubernetes/apiserver <c>pkg/storage/etcd3/store.go</c> checkPreconditions)
    /// turned into a 409 Conflict (<c>pkg/storage/errors/storage.go</c> InterpretUpdateError).
    /// </summary>
    public static ApiError PreconditionFailed(string what, string key, string wantedUid, string? actualUid) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {what}: StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, "
            + $"AdditionalErrorMsg: Precondition failed: UID in precondition: {wantedUid}, UID in object meta: {actualUid}");

    public static ApiError Gone(string message) => new(410, "Expired", message);

    public static ApiError Invalid(string message) => new(422, "Invalid", message);

    /// <summary>A 422 naming the invalid field, with the details a client reads (the kind is the plural, as the API server gives it).</summary>
    public static ApiError InvalidField(string plural, string group, string name, string field, string value, string detail) =>
        new(422, "Invalid", $"{(group.Length == 0 ? plural : $"{plural}.{group}")} \"{name}\" is invalid: {field}: Invalid value: {value}: {detail}", new JsonObject
        {
            ["name"] = name,
            ["group"] = group,
            ["kind"] = plural,
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = $"Invalid value: {value}: {detail}", ["field"] = field }),
        });

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
}
