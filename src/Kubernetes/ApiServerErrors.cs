using System.Net;
using System.Text.Json;
using Archiver.Actors.Ports;
using k8s.Autorest;

namespace Archiver.Kubernetes;

/// <summary>
/// The API server's answers as the ports' exceptions, with its own words: the client's exception says only
/// "Operation returned an invalid status code 'Forbidden'", while the Status object in the body names the verb,
/// resource, API group and namespace that were refused (k8s.io/apimachinery <c>pkg/apis/meta/v1/types.go</c>, Status).
/// </summary>
internal static class ApiServerErrors
{
    /// <summary>The <c>message</c> of the API server's Status, or the client's own text when the body is none.</summary>
    public static string Reason(HttpOperationException e)
    {
        try
        {
            using var status = JsonDocument.Parse(e.Response.Content);
            return status.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? e.Message : e.Message;
        }
        catch (JsonException)
        {
            return e.Message;
        }
    }

    public static bool IsForbidden(HttpOperationException e) => e.Response.StatusCode == HttpStatusCode.Forbidden;

    /// <summary>Runs the calls, a 403 becoming <see cref="ResourceForbiddenException"/> with the API server's message.</summary>
    public static async Task ForbiddenAsPortErrorAsync(Func<Task> calls)
    {
        try
        {
            await calls();
        }
        catch (HttpOperationException e) when (IsForbidden(e))
        {
            throw new ResourceForbiddenException(Reason(e));
        }
    }
}
