using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Archiver.Emulators.Gcs;

/// <summary>
/// An error as the JSON API answers it: <c>{"error":{"code","message","errors":[{"domain","reason","message"}]}}</c>
/// (https://cloud.google.com/storage/docs/json_api/v1/status-codes), which Google.Apis turns into a
/// <c>GoogleApiException</c> with that status and reason.
/// </summary>
internal sealed record GcsError(int Code, string Reason, string Message, string? Location = null)
{
    public static GcsError NotFound(string what) => new(404, "notFound", what);

    public static GcsError NoSuchObject(string bucket, string name) => NotFound($"No such object: {bucket}/{name}");

    public static GcsError NoSuchBucket() => NotFound("The specified bucket does not exist.");

    public static GcsError Invalid(string message) => new(400, "invalid", message);

    public static GcsError PreconditionFailed(string header) =>
        new(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.", header);

    public async Task WriteAsync(HttpResponse response)
    {
        var detail = new JsonObject { ["message"] = Message, ["domain"] = "global", ["reason"] = Reason };
        if (Location is not null)
        {
            detail["locationType"] = Code is 401 or 412 ? "header" : "parameter";
            detail["location"] = Location;
        }

        var body = new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = Code, ["message"] = Message, ["errors"] = new JsonArray(detail) },
        };
        response.StatusCode = Code;
        response.ContentType = "application/json; charset=UTF-8";
        if (Code == 401) response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\"";
        await response.WriteAsync(body.ToJsonString());
    }
}
